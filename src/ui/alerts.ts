/** The message area at the top of the page (#alerts): messages that stay until dismissed. */
import type { Notice } from '../store/models.ts';
import { el } from './dom.ts';

export class Alerts {
  /** Every message shown (alerts and notices), for the debug handle. */
  readonly messages: { level: Notice['level']; text: string }[] = [];
  private readonly area = el('alerts');

  /** Shows a message (errors and warnings are announced at once); one already on screen is not repeated. */
  show(level: Notice['level'], text: string): void {
    this.messages.push({ level, text });
    if (level === 'error') console.error(text);
    for (const a of this.area.children) if ((a as HTMLElement).dataset.text === text) return;
    const box = document.createElement('div');
    box.className = `alert ${level}`;
    box.setAttribute('role', level === 'info' ? 'status' : 'alert');
    box.dataset.text = text;
    const p = document.createElement('p');
    p.textContent = text;
    const close = document.createElement('button');
    close.type = 'button';
    close.textContent = 'Dismiss';
    close.setAttribute('aria-label', 'Dismiss message');
    close.onclick = () => box.remove();
    box.append(p, close);
    this.area.append(box);
  }
}
