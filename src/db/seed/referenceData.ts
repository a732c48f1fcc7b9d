/** The fixed vocabularies the seed draws from: real cities, sectors with their skills, genres, names. */

export interface City {
  name: string;
  lat: number;
  lng: number;
}

/** French cities (seed 000's platform is French), with real coordinates. */
export const CITIES: readonly City[] = [
  { name: 'Paris', lat: 48.8566, lng: 2.3522 },
  { name: 'Boulogne-Billancourt', lat: 48.8397, lng: 2.2399 },
  { name: 'Saint-Denis', lat: 48.9362, lng: 2.3574 },
  { name: 'Nanterre', lat: 48.8924, lng: 2.2071 },
  { name: 'Versailles', lat: 48.8049, lng: 2.1204 },
  { name: 'Créteil', lat: 48.7904, lng: 2.4556 },
  { name: 'Marseille', lat: 43.2965, lng: 5.3698 },
  { name: 'Aix-en-Provence', lat: 43.5297, lng: 5.4474 },
  { name: 'Lyon', lat: 45.764, lng: 4.8357 },
  { name: 'Villeurbanne', lat: 45.7719, lng: 4.8902 },
  { name: 'Toulouse', lat: 43.6047, lng: 1.4442 },
  { name: 'Nice', lat: 43.7102, lng: 7.262 },
  { name: 'Nantes', lat: 47.2184, lng: -1.5536 },
  { name: 'Montpellier', lat: 43.6108, lng: 3.8767 },
  { name: 'Strasbourg', lat: 48.5734, lng: 7.7521 },
  { name: 'Bordeaux', lat: 44.8378, lng: -0.5792 },
  { name: 'Lille', lat: 50.6292, lng: 3.0573 },
  { name: 'Roubaix', lat: 50.6942, lng: 3.1746 },
  { name: 'Rennes', lat: 48.1173, lng: -1.6778 },
  { name: 'Reims', lat: 49.2583, lng: 4.0317 },
  { name: 'Le Havre', lat: 49.4944, lng: 0.1079 },
  { name: 'Rouen', lat: 49.4432, lng: 1.0999 },
  { name: 'Saint-Étienne', lat: 45.4397, lng: 4.3872 },
  { name: 'Toulon', lat: 43.1242, lng: 5.928 },
  { name: 'Grenoble', lat: 45.1885, lng: 5.7245 },
  { name: 'Dijon', lat: 47.322, lng: 5.0415 },
  { name: 'Angers', lat: 47.4784, lng: -0.5632 },
  { name: 'Nîmes', lat: 43.8367, lng: 4.3601 },
  { name: 'Clermont-Ferrand', lat: 45.7772, lng: 3.087 },
  { name: 'Le Mans', lat: 48.0061, lng: 0.1996 },
  { name: 'Brest', lat: 48.3904, lng: -4.4861 },
  { name: 'Tours', lat: 47.3941, lng: 0.6848 },
  { name: 'Amiens', lat: 49.8941, lng: 2.2958 },
  { name: 'Limoges', lat: 45.8336, lng: 1.2611 },
  { name: 'Metz', lat: 49.1193, lng: 6.1757 },
  { name: 'Nancy', lat: 48.6921, lng: 6.1844 },
  { name: 'Besançon', lat: 47.2378, lng: 6.0241 },
  { name: 'Orléans', lat: 47.9029, lng: 1.9093 },
  { name: 'Caen', lat: 49.1829, lng: -0.3707 },
  { name: 'Mulhouse', lat: 47.7508, lng: 7.3359 },
  { name: 'Pau', lat: 43.2951, lng: -0.3708 },
  { name: 'La Rochelle', lat: 46.1603, lng: -1.1511 },
];

export interface Sector {
  name: string;
  skills: readonly string[];
  titles: readonly string[];
  /** Cities where the sector's jobs and candidates cluster. */
  hubs: readonly string[];
  /** Typical yearly salary of a mid-level role, in euros. */
  baseSalary: number;
}

export const SECTORS: readonly Sector[] = [
  {
    name: 'Technology',
    skills: ['TypeScript', 'Node.js', 'React', 'PostgreSQL', 'Redis', 'Kubernetes', 'Go', 'Python', 'GraphQL', 'AWS', 'Rust', 'Terraform', 'Kafka', 'Java'],
    titles: ['Software Engineer', 'Backend Developer', 'Frontend Developer', 'DevOps Engineer', 'Data Engineer', 'Site Reliability Engineer'],
    hubs: ['Paris', 'Lyon', 'Toulouse', 'Nantes', 'Grenoble', 'Bordeaux'],
    baseSalary: 55000,
  },
  {
    name: 'Finance',
    skills: ['Financial Modelling', 'Excel', 'IFRS', 'Risk Management', 'Accounting', 'Audit', 'SQL', 'Python', 'Treasury', 'Compliance', 'Bloomberg', 'Valuation'],
    titles: ['Financial Analyst', 'Accountant', 'Auditor', 'Risk Analyst', 'Controller', 'Treasurer'],
    hubs: ['Paris', 'Nanterre', 'Lyon', 'Lille'],
    baseSalary: 52000,
  },
  {
    name: 'Healthcare',
    skills: ['Patient Care', 'Nursing', 'Pharmacology', 'Emergency Care', 'Medical Records', 'Radiology', 'Pediatrics', 'Surgery Assistance', 'Geriatrics', 'Hygiene Protocols', 'Phlebotomy'],
    titles: ['Nurse', 'Care Assistant', 'Pharmacist', 'Radiology Technician', 'Physiotherapist', 'Midwife'],
    hubs: ['Paris', 'Lyon', 'Marseille', 'Lille', 'Montpellier', 'Rennes', 'Strasbourg'],
    baseSalary: 36000,
  },
  {
    name: 'Education',
    skills: ['Teaching', 'Curriculum Design', 'Mathematics', 'French', 'English', 'Physics', 'E-learning', 'Classroom Management', 'Special Needs', 'Assessment', 'History'],
    titles: ['Teacher', 'Trainer', 'Instructional Designer', 'Tutor', 'Lecturer'],
    hubs: ['Paris', 'Lyon', 'Toulouse', 'Montpellier', 'Rennes', 'Dijon', 'Clermont-Ferrand'],
    baseSalary: 33000,
  },
  {
    name: 'Retail',
    skills: ['Sales', 'Merchandising', 'Customer Service', 'Inventory', 'Point of Sale', 'Visual Merchandising', 'E-commerce', 'Team Leadership', 'Negotiation', 'CRM'],
    titles: ['Store Manager', 'Sales Associate', 'Buyer', 'E-commerce Manager', 'Category Manager'],
    hubs: ['Paris', 'Lille', 'Roubaix', 'Marseille', 'Nice', 'Bordeaux'],
    baseSalary: 31000,
  },
  {
    name: 'Manufacturing',
    skills: ['Lean', 'Six Sigma', 'CNC Machining', 'Quality Control', 'AutoCAD', 'SolidWorks', 'Maintenance', 'PLC Programming', 'Welding', 'Production Planning', 'ISO 9001'],
    titles: ['Production Engineer', 'Quality Engineer', 'Maintenance Technician', 'Process Engineer', 'Plant Manager'],
    hubs: ['Saint-Étienne', 'Mulhouse', 'Clermont-Ferrand', 'Le Mans', 'Toulouse', 'Lyon'],
    baseSalary: 42000,
  },
  {
    name: 'Logistics',
    skills: ['Supply Chain', 'Warehouse Management', 'SAP', 'Forklift', 'Transport Planning', 'Customs', 'Procurement', 'Fleet Management', 'WMS', 'Incoterms', 'Demand Forecasting'],
    titles: ['Logistics Coordinator', 'Supply Chain Analyst', 'Warehouse Manager', 'Transport Planner', 'Buyer'],
    hubs: ['Le Havre', 'Lille', 'Lyon', 'Orléans', 'Marseille', 'Rouen'],
    baseSalary: 38000,
  },
  {
    name: 'Energy',
    skills: ['Electrical Engineering', 'Solar PV', 'Wind Turbines', 'Grid Operations', 'HVAC', 'Energy Audit', 'Nuclear Safety', 'Project Management', 'SCADA', 'Power Systems'],
    titles: ['Electrical Engineer', 'Energy Consultant', 'Field Technician', 'Project Engineer', 'Grid Operator'],
    hubs: ['Paris', 'Lyon', 'Grenoble', 'Nantes', 'Marseille', 'Metz'],
    baseSalary: 47000,
  },
  {
    name: 'Hospitality',
    skills: ['Cooking', 'Pastry', 'Front Desk', 'Housekeeping', 'Event Planning', 'Wine Service', 'Food Safety', 'Revenue Management', 'Customer Service', 'Barista'],
    titles: ['Chef', 'Receptionist', 'Hotel Manager', 'Sommelier', 'Event Coordinator'],
    hubs: ['Paris', 'Nice', 'Marseille', 'Bordeaux', 'Lyon', 'La Rochelle', 'Toulon'],
    baseSalary: 29000,
  },
  {
    name: 'Construction',
    skills: ['Site Management', 'Structural Engineering', 'BIM', 'AutoCAD', 'Carpentry', 'Masonry', 'Plumbing', 'Electrical Installation', 'Cost Estimation', 'Safety Regulations'],
    titles: ['Site Manager', 'Civil Engineer', 'Quantity Surveyor', 'Electrician', 'Carpenter'],
    hubs: ['Paris', 'Créteil', 'Lyon', 'Marseille', 'Nantes', 'Bordeaux', 'Toulouse'],
    baseSalary: 40000,
  },
  {
    name: 'Media',
    skills: ['Copywriting', 'Video Editing', 'Photography', 'SEO', 'Social Media', 'Adobe Premiere', 'Journalism', 'Storytelling', 'Graphic Design', 'Podcasting'],
    titles: ['Journalist', 'Content Producer', 'Video Editor', 'Community Manager', 'Graphic Designer'],
    hubs: ['Paris', 'Boulogne-Billancourt', 'Saint-Denis', 'Lyon', 'Rennes'],
    baseSalary: 37000,
  },
  {
    name: 'Legal',
    skills: ['Contract Law', 'Corporate Law', 'Labour Law', 'GDPR', 'Litigation', 'Legal Research', 'Intellectual Property', 'Drafting', 'Mediation', 'Tax Law'],
    titles: ['Lawyer', 'Legal Counsel', 'Paralegal', 'Compliance Officer', 'Notary Clerk'],
    hubs: ['Paris', 'Nanterre', 'Lyon', 'Bordeaux', 'Aix-en-Provence'],
    baseSalary: 50000,
  },
];

/** Skills every sector asks for now and then. */
export const GENERIC_SKILLS: readonly string[] = ['English', 'Project Management', 'Communication', 'Excel', 'Teamwork'];

export const GENRES: readonly string[] = [
  'Action', 'Adventure', 'Animation', 'Comedy', 'Crime', 'Documentary', 'Drama', 'Family', 'Fantasy',
  'Horror', 'Musical', 'Mystery', 'Romance', 'Science Fiction', 'Thriller', 'War', 'Western', 'History',
];

export const FIRST_NAMES: readonly string[] = [
  'Camille', 'Léa', 'Manon', 'Chloé', 'Inès', 'Sarah', 'Emma', 'Jade', 'Louise', 'Alice', 'Lina', 'Zoé', 'Ana', 'Maria',
  'Lucas', 'Hugo', 'Louis', 'Nathan', 'Gabriel', 'Arthur', 'Jules', 'Adam', 'Raphaël', 'Léo', 'Tom', 'Noah', 'Karim',
  'Yanis', 'Mehdi', 'Sofia', 'João', 'Beatriz', 'Pedro', 'Mariana', 'Rafael', 'Julia', 'Thomas', 'Claire', 'Paul', 'Amina',
];

export const LAST_NAMES: readonly string[] = [
  'Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent',
  'Lefebvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'Andre', 'Mercier',
  'Silva', 'Santos', 'Oliveira', 'Souza', 'Costa', 'Pereira', 'Haddad', 'Benali', 'Nguyen', 'Fontaine', 'Chevalier', 'Blanc',
];

export const COMPANY_WORDS: readonly string[] = [
  'Nova', 'Atlas', 'Helios', 'Orion', 'Vega', 'Lumen', 'Alpine', 'Azur', 'Boreal', 'Cedar', 'Delta', 'Ember', 'Forge',
  'Granite', 'Harbor', 'Iris', 'Jasper', 'Kestrel', 'Loire', 'Mistral', 'Nimbus', 'Opal', 'Pivot', 'Quartz', 'Rhône',
];
export const COMPANY_SUFFIXES: readonly string[] = ['Group', 'Partners', 'Labs', 'Industries', 'Services', 'Solutions', '& Co', 'SA'];

export const TITLE_ADJECTIVES: readonly string[] = [
  'Silent', 'Last', 'Hidden', 'Broken', 'Golden', 'Endless', 'Crimson', 'Lost', 'Frozen', 'Midnight', 'Secret', 'Wild',
  'Distant', 'Burning', 'Quiet', 'Electric', 'Bitter', 'Northern', 'Paper', 'Glass', 'Iron', 'Velvet', 'Hollow', 'Bright',
];
export const TITLE_NOUNS: readonly string[] = [
  'River', 'City', 'Garden', 'Kingdom', 'Horizon', 'Promise', 'Shadow', 'Island', 'Station', 'Letter', 'Summer', 'Winter',
  'Road', 'Harbour', 'Empire', 'Mirror', 'Symphony', 'Frontier', 'Storm', 'Lighthouse', 'Orchard', 'Machine', 'Heart', 'Crown',
];
