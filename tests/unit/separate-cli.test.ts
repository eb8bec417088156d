/**
 * `npm run separate` never loses work and always says what is wrong in one line: run as a user runs
 * it (`tsx src/cli/separate.ts`, a process) on real clips. Outputs are the core's separation
 * exactly; an input is never overwritten; a failed write (a file size limit: EFBIG, as a full disk's
 * ENOSPC goes the same way) or Ctrl-C keeps the earlier pair and leaves no temporary file; bad
 * output folders, rates, folders and FIFOs given as inputs are refused before any work, with no
 * stack trace and no hang; RF64 is read.
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedData, shippedModelPath } from '../../src/cli/paths.ts';
import { decodeModel } from '../../src/core/model/model.ts';
import { separateChannels } from '../../src/core/separate/separator.ts';
import { decodeWav, encodeWav } from '../../src/io/wav.ts';
import { runCli } from './support.ts';

const tsx = join(repoRoot, 'node_modules/.bin/tsx');
const script = join(repoRoot, 'src/cli/separate.ts');
const clip = join(sharedData, 'mir1k/Wavfile/amy_3_08.wav'); // 16 kHz stereo, 6.4 s
const stems = join(sharedData, 'stems/music_delta_80s_rock/voice.wav'); // 44.1 kHz mono, 6.8 s

const separate = (args: string[], opts: SpawnSyncOptions = {}) => runCli('separate', args, { timeout: 60_000, ...opts });

/** A one-line message: no stack trace. */
const noTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at |Error:|node:internal/);

const work = mkdtempSync(join(tmpdir(), 'voicesplit-separate-'));
chmodSync(work, 0o755);
afterAll(() => rmSync(work, { recursive: true, force: true }));
const temporaries = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

describe('npm run separate: outputs', () => {
  it('writes exactly the core separation (encodeWav of separateChannels), byte for byte', () => {
    const out = join(work, 'exact');
    const r = separate(['--quiet', '--out', out, clip, stems]);
    expect(r.code, r.stderr).toBe(0);
    const model = decodeModel(readFileSync(shippedModelPath));
    for (const [input, name] of [[clip, 'amy_3_08'], [stems, 'voice']]) {
      const src = decodeWav(readFileSync(input));
      const ref = separateChannels(model, src.sampleRate, src.channels);
      expect(readFileSync(join(out, name, 'voice.wav'))).toEqual(Buffer.from(encodeWav({ sampleRate: src.sampleRate, channels: ref.voice })));
      expect(readFileSync(join(out, name, 'accompaniment.wav'))).toEqual(Buffer.from(encodeWav({ sampleRate: src.sampleRate, channels: ref.accomp })));
      expect(temporaries(join(out, name))).toEqual([]);
    }
  });

  it('reads RF64: the same outputs as from the RIFF file', () => {
    const wav = readFileSync(clip);
    // amy_3_08.wav: fmt chunk at 12 (16 bytes), data chunk at 36. As RF64: a ds64 chunk before them.
    const data = wav.subarray(44, 44 + wav.readUInt32LE(40));
    const rf = Buffer.alloc(12 + 36 + 24 + 8 + data.length);
    rf.write('RF64', 0);
    rf.writeUInt32LE(0xffffffff, 4);
    rf.write('WAVEds64', 8);
    rf.writeUInt32LE(28, 16);
    rf.writeBigUInt64LE(BigInt(rf.length - 8), 20);
    rf.writeBigUInt64LE(BigInt(data.length), 28);
    rf.writeBigUInt64LE(BigInt(data.length / 4), 36);
    wav.copy(rf, 48, 12, 36);
    rf.write('data', 72);
    rf.writeUInt32LE(0xffffffff, 76);
    data.copy(rf, 80);
    const path = join(work, 'rf', 'amy_3_08.wav');
    mkdirSync(join(work, 'rf'));
    writeFileSync(path, rf);
    const r = separate(['--quiet', '--out', join(work, 'rf-out'), path]);
    expect(r.code, r.stderr).toBe(0);
    const ref = join(work, 'exact', 'amy_3_08');
    for (const f of ['voice.wav', 'accompaniment.wav']) expect(readFileSync(join(work, 'rf-out', 'amy_3_08', f))).toEqual(readFileSync(join(ref, f)));
  });
});

describe('npm run separate: never loses work', () => {
  it('refuses to overwrite an input (--out D D/voice/voice.wav), also through a link, before any work', () => {
    const D = join(work, 'D');
    mkdirSync(join(D, 'voice'), { recursive: true });
    const input = join(D, 'voice', 'voice.wav');
    copyFileSync(clip, input);
    symlinkSync(D, join(work, 'link-to-D'));
    for (const out of [D, join(work, 'link-to-D')]) {
      const r = separate(['--out', out, input]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/voice\/voice\.wav is an input: writing the voice there would overwrite it/);
      noTrace(r.stderr);
      expect(readFileSync(input)).toEqual(readFileSync(clip));
      expect(readdirSync(join(D, 'voice'))).toEqual(['voice.wav']);
    }
  });

  it('a write that fails (file size limit, EFBIG) keeps the earlier good pair and leaves no temporary file', () => {
    const out = join(work, 'efbig');
    const short = join(work, 'short', 'song.wav'), long = join(work, 'long', 'song.wav');
    mkdirSync(join(work, 'short'));
    mkdirSync(join(work, 'long'));
    const src = decodeWav(readFileSync(clip));
    writeFileSync(short, encodeWav({ sampleRate: 16000, channels: src.channels.map((c) => c.subarray(0, 16000)) })); // 1 s: 128 kB out
    copyFileSync(clip, long); // 6.4 s: 820 kB out
    expect(separate(['--quiet', '--out', out, short]).code).toBe(0);
    const before = ['voice.wav', 'accompaniment.wav'].map((f) => readFileSync(join(out, 'song', f)));
    // Files this process writes may not pass 400 kB (bash's ulimit -f counts KiB).
    const r = spawnSync('bash', ['-c', 'ulimit -f 400 && exec "$@"', 'bash', tsx, script, '--out', out, long], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/song\/voice\.wav: cannot write: file too large \(EFBIG\); nothing was replaced/);
    noTrace(r.stderr);
    ['voice.wav', 'accompaniment.wav'].forEach((f, k) => expect(readFileSync(join(out, 'song', f))).toEqual(before[k]));
    expect(temporaries(join(out, 'song'))).toEqual([]);
  });

  // A real full disk: a 1 MB tmpfs, mounted in a mount namespace of the child's own (needs root; skipped otherwise).
  const canMount = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /mnt'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!canMount)('a full disk (ENOSPC) keeps the earlier good pair and leaves no temporary file', () => {
    const keep = join(work, 'enospc');
    mkdirSync(join(keep, 'before'), { recursive: true });
    mkdirSync(join(keep, 'after'));
    mkdirSync(join(keep, 'disk'));
    const short = join(work, 'enospc-short', 'song.wav'), long = join(work, 'enospc-long', 'song.wav');
    mkdirSync(dirname(short));
    mkdirSync(dirname(long));
    const src = decodeWav(readFileSync(clip));
    writeFileSync(short, encodeWav({ sampleRate: 16000, channels: src.channels.map((c) => c.subarray(0, 16000)) })); // 256 kB out
    copyFileSync(clip, long); // 1.6 MB out: more than the disk has left
    const steps = [
      `mount -t tmpfs -o size=1m tmpfs "$D"`,
      `"$TSX" "$SEP" --quiet --out "$D" "$SHORT" || exit 10`,
      `cp "$D"/song/*.wav "$K/before/"`,
      `"$TSX" "$SEP" --out "$D" "$LONG" 2> "$K/stderr"; echo $? > "$K/code"`,
      `ls -A "$D/song" > "$K/listing"`,
      `cp "$D"/song/*.wav "$K/after/"`,
    ].join(' && ');
    const env = { ...process.env, D: join(keep, 'disk'), K: keep, TSX: tsx, SEP: script, SHORT: short, LONG: long };
    const r = spawnSync('unshare', ['-m', 'sh', '-c', steps], { cwd: repoRoot, encoding: 'utf8', env, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(keep, 'code'), 'utf8').trim()).toBe('1');
    const stderr = readFileSync(join(keep, 'stderr'), 'utf8');
    expect(stderr).toMatch(/song\/(voice|accompaniment)\.wav: cannot write: no space left on device \(ENOSPC\); nothing was replaced/);
    noTrace(stderr);
    expect(readFileSync(join(keep, 'listing'), 'utf8').split('\n').filter(Boolean).sort()).toEqual(['accompaniment.wav', 'voice.wav']);
    for (const f of ['voice.wav', 'accompaniment.wav']) expect(readFileSync(join(keep, 'after', f))).toEqual(readFileSync(join(keep, 'before', f)));
  });

  it('Ctrl-C removes the files being written and keeps the finished ones', async () => {
    const long = join(work, 'five-minutes.wav');
    const src = decodeWav(readFileSync(stems)).channels[0];
    const x = new Float32Array(5 * 60 * 44100);
    for (let i = 0; i < x.length; i++) x[i] = src[i % src.length];
    writeFileSync(long, encodeWav({ sampleRate: 44100, channels: [x, x] }));
    const out = join(work, 'interrupted');
    // As a terminal's Ctrl-C does: SIGINT to the process group (tsx and the node process it runs).
    const child = spawn(tsx, [script, '--out', out, clip, long], { cwd: repoRoot, detached: true });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code))); // 'close': stderr read to its end
    const dir = join(out, 'five-minutes');
    for (let t = 0; t < 600 && !(existsSync(dir) && temporaries(dir).length === 2); t++) await new Promise((r) => setTimeout(r, 50));
    expect(temporaries(dir)).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/interrupted: the files being written were removed/);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(join(out, 'amy_3_08')).sort()).toEqual(['accompaniment.wav', 'voice.wav']);
    // What a run killed outright (SIGKILL) leaves is removed by the next run into the folder.
    const stale = join(out, 'amy_3_08', '.voice.wav.999999-1.tmp');
    writeFileSync(stale, 'left by a killed run');
    expect(() => process.kill(999999, 0)).toThrow();
    expect(separate(['--quiet', '--out', out, clip]).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    rmSync(long);
  });
});

describe('npm run separate: one line, before the work', () => {
  it('an output folder it cannot make fails fast, in one line: /proc/x (no hang)', () => {
    const proc = separate(['--out', '/proc/x/out', clip], { timeout: 20_000 });
    expect(proc.signal).toBeNull();
    expect(proc.code).toBe(1);
    expect(proc.stderr).toMatch(/^error: \/proc\/x: cannot create this folder: no such file or directory \(ENOENT\)\n$/);
  });

  it('an output path through a file (ENOTDIR), before any work', () => {
    const file = join(work, 'a-file');
    writeFileSync(file, '');
    const notDir = separate(['--out', join(file, 'out'), clip]);
    expect(notDir.code).toBe(1);
    expect(notDir.stderr).toMatch(/a-file: is a file, not a folder\n/);
    noTrace(notDir.stderr);
    expect(notDir.stderr).not.toMatch(/real time/);
  });

  it('an output folder it may not write in (EACCES), before any work', () => {
    const locked = join(work, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o555);
    // root may write anywhere: run as nobody there.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534, env: { ...process.env, HOME: work } } : {};
    const denied = separate(['--out', join(locked, 'out'), clip], asUser);
    expect(denied.code, denied.stderr).toBe(1);
    expect(denied.stderr).toMatch(/locked: cannot create folders in this folder: permission denied \(EACCES\)/);
    noTrace(denied.stderr);
    expect(readdirSync(locked)).toEqual([]);
  });

  it('a sample rate below 3 kHz or above 768 kHz is named for its file, and the rest of the batch is separated', () => {
    const dir = join(work, 'rates');
    mkdirSync(dir);
    const tone = (rate: number) => [new Float32Array(rate).map((_, i) => 0.1 * Math.sin(i / 5))];
    writeFileSync(join(dir, 'low.wav'), encodeWav({ sampleRate: 2000, channels: tone(2000) }));
    writeFileSync(join(dir, 'high.wav'), encodeWav({ sampleRate: 800000, channels: tone(800000) }));
    const out = join(work, 'rates-out');
    const r = separate(['--out', out, join(dir, 'low.wav'), join(dir, 'high.wav'), clip]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/low\.wav: sample rate 2000 Hz is not supported \(the separator takes 3000 to 768000 Hz\)/);
    expect(r.stderr).toMatch(/high\.wav: sample rate 800000 Hz is not supported/);
    expect(r.stderr).toMatch(/2 of 3 input\(s\) could not be separated/);
    noTrace(r.stderr);
    expect(readdirSync(join(out, 'amy_3_08')).sort()).toEqual(['accompaniment.wav', 'voice.wav']);
  });

  it('a folder or a FIFO given as input is called what it is (not "no such file"), without waiting on the FIFO', () => {
    const folder = separate(['--out', join(work, 'x'), work]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/: is a folder, not a WAV file/);
    const fifo = join(work, 'pipe.wav');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = separate(['--out', join(work, 'x'), fifo], { timeout: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pipe\.wav: is a FIFO \(named pipe\), not a WAV file/);
    noTrace(r.stderr);
    const model = separate(['--model', fifo, '--out', join(work, 'x'), clip], { timeout: 20_000 });
    expect(model.code).toBe(1);
    expect(model.stderr).toMatch(/pipe\.wav: is a FIFO \(named pipe\), not a model file/);
  });

  it('cliMain prints any file-system error as one line naming its path', () => {
    const probe = join(work, 'probe.ts');
    writeFileSync(probe, `import { cliMain } from ${JSON.stringify(join(repoRoot, 'src/cli/common.ts'))};
cliMain(async () => {
  const e = Object.assign(new Error("ENOSPC: no space left on device, write '/data/x.wav'"), { code: 'ENOSPC', errno: -28, syscall: 'write', path: '/data/x.wav' });
  throw e;
});\n`);
    const r = spawnSync(tsx, [probe], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error: /data/x.wav: write: no space left on device (ENOSPC)\n');
  });
});
