/** Entry point of the page (index.html). */
import { App } from './app.ts';
import { installDebugHandle } from './debug.ts';

const app = new App();
installDebugHandle(app);
void app.start();
