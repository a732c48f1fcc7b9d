/** The package ships no types: it computes a key's cluster slot (CRC16 of its hash tag or whole key, mod 16384). */
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
