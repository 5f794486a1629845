/**
 * The idiomatic Node download, a peer for bench/downloads.ts: one GET over node:http piped into a file with
 * stream.pipeline and fs.createWriteStream, nothing else. Plain JavaScript, so no loader's start-up is timed.
 *
 *   node bench/node-download.mjs <url> <output>
 */
import { createWriteStream } from 'node:fs';
import { get } from 'node:http';
import { pipeline } from 'node:stream/promises';

const [url, output] = process.argv.slice(2);
const response = await new Promise((resolve, reject) => get(url, resolve).on('error', reject));
if (response.statusCode !== 200) throw new Error(`${url} answered ${response.statusCode}`);
await pipeline(response, createWriteStream(output));
