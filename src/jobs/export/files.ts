/**
 * What the page can know about the exported files once they are made, and what it cannot.
 *
 * - A Blob is made at once, but its bytes go to the browser's blob storage, which can refuse them:
 *   in a private window Chromium keeps blobs in memory only, up to a limit for all of them at once
 *   (in an off-the-record context of Chromium 156 on a 23 GB machine, measured: 499 MiB in one run,
 *   2045 MiB in another; 2 GiB is its cap for a 64-bit desktop), and a long
 *   song's two files do not fit. The Blob is then broken: reading it fails (NotReadableError), and
 *   a download of it is cancelled by the browser (Playwright's download.failure(): 'canceled'), with
 *   no word to the page. {@link checkFile} reads a file's last byte, which waits until the storage holds the
 *   whole file (the chunks from the workers too) and fails if it does not.
 * - Handing a file to the downloads (a link with `download`, clicked) reports nothing back: the
 *   browser may save it, ask where and be cancelled, or block it. The page can only say it handed
 *   the files over.
 */

/** The browser could not make or keep an exported file. */
export class ExportFileError extends Error {
  override name = 'ExportFileError';
}

const reason = (e: unknown) => (e instanceof Error ? `${e.name}${e.message ? `: ${e.message}` : ''}` : String(e));
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** Throws ExportFileError when the browser does not hold the whole file (see the top of this file). */
export async function checkFile(blob: Blob, name: string): Promise<void> {
  if (blob.size === 0) throw new ExportFileError(`the file ${name} came out empty`);
  try {
    const last = await blob.slice(blob.size - 1).arrayBuffer();
    if (last.byteLength !== 1) throw new Error(`read ${last.byteLength} bytes of its last one`);
  } catch (e) {
    throw new ExportFileError(`the browser could not keep the file ${name} (${mb(blob.size)}) in its storage (${reason(e)}). ` +
      'A private window keeps such files in memory only, with a limit a long song can pass: export in a normal window, or a shorter song');
  }
}

/** Hands a link's file to the browser's downloads (a click on a hidden copy); what the browser does with it, the page cannot know. */
export function handOver(link: HTMLAnchorElement): void {
  const a = link.cloneNode(true) as HTMLAnchorElement;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
}
