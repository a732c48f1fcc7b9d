/** The floor of any HTTP server: node:http answering every request with the same JSON (a movie). */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announce } from './strataResolvers.js';

const body = JSON.stringify({ data: { movie: { id: '1', title: 'Toy Story', year: 1995, genres: ['Animation', 'Comedy'], avgRating: 3.9, ratingCount: 215 } } });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => announce((server.address() as AddressInfo).port));
