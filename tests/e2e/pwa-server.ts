/**
 * A server of the production build that a test can stop, and start again with another version:
 * the offline and update tests (offline.spec.ts) need the origin really gone (connection refused,
 * for the page and for its service worker alike) and then back with new files, which the shared
 * `vite preview` of playwright.config.ts cannot do. It serves a copy of dist/ (taken when it is
 * made, so another build does not change it under the test) with the headers of serve-headers.ts,
 * the ones `vite preview` sends (csp.spec.ts checks that they are the same), and collects the
 * Content-Security-Policy reports sent to /__csp-report when asked to add that report-uri.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { headersFor } from '../../serve-headers.ts';
import { repoRoot, test } from './helpers.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.webmanifest': 'application/manifest+json', '.wav': 'audio/wav', '.nnrnmf': 'application/octet-stream',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.md': 'text/markdown; charset=utf-8', '.map': 'application/json',
};

export const REPORT_PATH = '/__csp-report';

export interface PwaServer {
  readonly url: string;
  readonly port: number;
  /** The CSP violation reports received so far (report-uri bodies). */
  readonly reports: unknown[];
  /** Paths (under dist/) that got a request, in order. */
  readonly requests: string[];
  /** Stops serving and drops every open connection: the origin is gone. */
  stop(): Promise<void>;
}

export interface PwaServerOptions {
  /** A port to listen on (default: any free one). */
  port?: number;
  /** Files served instead of the build's, by path ('models/default.nnrnmf'). */
  overrides?: Record<string, Buffer | string>;
  /** Appended to every Content-Security-Policy (e.g. `report-uri /__csp-report`). */
  cspExtra?: string;
  /** A second policy sent with every response (the browser enforces both): a stricter host's. */
  extraPolicy?: string;
}

/** A copy of the build (dist/, as playwright.config.ts's web server has just built it). */
export function copyOfBuild(): string {
  const dist = resolve(repoRoot, 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error('dist/ holds no build: run `npx vite build` (the e2e web server does)');
  const dir = mkdtempSync(join(tmpdir(), 'voicesplit-pwa-'));
  cpSync(dist, dir, { recursive: true, filter: (src) => !src.endsWith('.map') });
  return dir;
}

export function servePwa(root: string, options: PwaServerOptions = {}): Promise<PwaServer> {
  const reports: unknown[] = [], requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
    if (req.method === 'POST' && path === REPORT_PATH) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          reports.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reports.push(Buffer.concat(chunks).toString('utf8'));
        }
        res.writeHead(204).end();
      });
      return;
    }
    const rel = normalize(path === '/' ? 'index.html' : path.replace(/^\/+/, ''));
    requests.push(rel);
    let body: Buffer | string | undefined = options.overrides?.[rel];
    if (body === undefined && !rel.startsWith('..')) {
      try {
        body = readFileSync(join(root, rel));
      } catch {
        body = undefined;
      }
    }
    if (body === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    const type = TYPES[extname(rel)] ?? 'application/octet-stream';
    const headers: Record<string, string | string[]> = { ...headersFor(path, type, options.cspExtra), 'Content-Type': type, 'Cache-Control': 'no-cache', 'Content-Length': String(Buffer.byteLength(body)) };
    if (options.extraPolicy) headers['Content-Security-Policy'] = [headers['Content-Security-Policy'] as string, options.extraPolicy];
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolveServer, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      resolveServer({
        url: `http://127.0.0.1:${port}/`, port, reports, requests,
        stop: () => new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

/**
 * What a spec with servers of its own sets up: one copy of the build for the file (`build()`), and
 * `serve()`, whose servers are all stopped after each test (a test may stop one sooner).
 */
export function pwaServers(): { build: () => string; serve: (options?: PwaServerOptions) => Promise<PwaServer> } {
  let build = '';
  const running: PwaServer[] = [];
  test.beforeAll(() => {
    build = copyOfBuild();
  });
  test.afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });
  return {
    build: () => build,
    serve: async (options) => {
      const s = await servePwa(build, options);
      running.push(s);
      return s;
    },
  };
}
