/** What the command-line tools share: error reporting, exit codes, reading models. */
import { decodeModel, ModelError, type Model } from '../core/model/model.ts';
import { AudioFormatError } from '../io/wav.ts';
import { DataError, readBytes } from './dataset.ts';
import { errnoLine, FileError, isErrnoError } from './fs-errors.ts';

/** A mistake in the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Runs a CLI entry point: expected failures print one clear line and exit non-zero, no stack trace;
 * so does every file-system error (an errno code: EACCES, ENOSPC, …), naming its path.
 */
export function cliMain(main: (argv: string[]) => void | Promise<void>): void {
  const fail = (e: unknown) => {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n(run with --help for the options)\n`);
      process.exit(2);
    }
    if (e instanceof DataError || e instanceof AudioFormatError || e instanceof ModelError || e instanceof FileError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exit(1);
    }
    if (isErrnoError(e)) {
      process.stderr.write(`error: ${errnoLine(e)}\n`);
      process.exit(1);
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${e.message}\n(run with --help for the options)\n`);
      process.exit(2);
    }
    throw e;
  };
  try {
    const r = main(process.argv.slice(2));
    if (r instanceof Promise) r.catch(fail);
  } catch (e) {
    fail(e);
  }
}

export function readModelFile(path: string): Model {
  const bytes = readBytes(path, 'model file');
  try {
    return decodeModel(bytes);
  } catch (e) {
    if (e instanceof ModelError) throw new ModelError(`${path}: ${e.message}`);
    throw e;
  }
}
