/** Entry point of the page (index.html). */
import { App } from './app.ts';
import { installDebugHandle } from './debug.ts';
import { UpdateLine } from './update-line.ts';
import { wasmRefusal } from '../jobs/wasm-refusal.ts';

const app = new App();
installDebugHandle(app);
void app.start();
// The AudioWorklet runs under this page's Content-Security-Policy: one that refuses WebAssembly
// leaves the separator on its JavaScript path (several times the CPU), which is said.
const refused = wasmRefusal();
if (refused) app.alert('warning', `WebAssembly is refused on this page (${refused}): the separator runs in JavaScript, several times slower. The page's server should allow 'wasm-unsafe-eval' in its Content-Security-Policy.`);
// Offline use and updates (the service worker); a reload would stop an export.
void new UpdateLine(() => (app.exportJob ? 'the export' : null)).start();
