/**
 * A song played from its file by a media element, for songs too long to decode into memory
 * (src/io/song-file.ts): the browser reads and decodes the file a few seconds ahead on its media
 * threads, so memory does not grow with the song and the page's thread does no decoding. The
 * element's sound goes through a MediaElementAudioSourceNode (resampled to the context's rate by
 * the browser) into the separator, behind a gain envelope like FilePlayer's, so that starting,
 * stopping and seeking do not click.
 */

const EDGE_TAU = 0.003;
/** The element is paused this long after the envelope starts closing. */
const STOP_AFTER = 0.03;

export class MediaTrack {
  readonly duration: number;
  playing = false;
  /** Called when the song reaches its end on its own. */
  onEnded: () => void = () => {};
  /** Called when the browser cannot play the file (after which it is paused). */
  onError: (message: string) => void = () => {};

  private readonly el: HTMLAudioElement;
  private readonly url: string;
  private readonly node: MediaElementAudioSourceNode;
  private readonly envelope: GainNode;
  /** Song time (s) while paused. */
  private offset = 0;
  /** Counts starts and stops: a pause scheduled by an earlier stop does not pause a newer start. */
  private generation = 0;

  constructor(private readonly ctx: BaseAudioContext, destination: AudioNode, file: Blob, duration: number) {
    if (!(ctx instanceof AudioContext)) throw new Error('a streamed song plays only in a realtime AudioContext');
    this.duration = duration;
    this.url = URL.createObjectURL(file);
    this.el = new Audio();
    this.el.preload = 'auto';
    this.el.src = this.url;
    this.node = new MediaElementAudioSourceNode(ctx, { mediaElement: this.el });
    this.envelope = new GainNode(ctx, { gain: 0 });
    this.node.connect(this.envelope).connect(destination);
    this.el.onerror = () => {
      const was = this.playing;
      this.playing = false;
      this.onError(this.el.error?.message || `media error ${this.el.error?.code ?? ''}`.trim());
      if (was) this.onEnded();
    };
    this.el.onended = () => {
      if (!this.playing) return;
      this.playing = false;
      this.offset = this.duration;
      this.onEnded();
    };
  }

  /** Song time (s) of what is being fed to the separator now. */
  get position(): number {
    return this.playing ? Math.min(this.duration, this.el.currentTime) : this.offset;
  }

  /** Plays from where it stands (from the start if at the end); false if it was already playing. */
  start(): boolean {
    if (this.playing) return false;
    if (this.offset >= this.duration - 0.01) this.offset = 0;
    this.generation++;
    if (Math.abs(this.el.currentTime - this.offset) > 1e-3) this.el.currentTime = this.offset;
    const now = this.ctx.currentTime, g = this.envelope.gain;
    g.cancelScheduledValues(now);
    g.setValueAtTime(0, now);
    g.setTargetAtTime(1, now, EDGE_TAU);
    this.playing = true;
    this.el.play().catch(() => {
      // Refused (no gesture) or the file became unreadable: paused again, where it was.
      if (!this.playing) return;
      this.playing = false;
      this.onEnded();
    });
    return true;
  }

  stop(): void {
    if (!this.playing) return;
    this.offset = this.position;
    this.playing = false;
    const gen = ++this.generation, now = this.ctx.currentTime, g = this.envelope.gain;
    g.cancelScheduledValues(now);
    g.setTargetAtTime(0, now, EDGE_TAU);
    setTimeout(() => {
      if (gen === this.generation) this.el.pause();
    }, STOP_AFTER * 1000);
  }

  /** Moves to `seconds` (clamped); true if it was playing (and goes on from there). */
  seek(seconds: number): boolean {
    const t = Math.min(Math.max(0, seconds), this.duration);
    this.offset = t;
    this.el.currentTime = t;
    return this.playing;
  }

  /** Stops and lets go of the element and the file. */
  dispose(): void {
    this.playing = false;
    this.generation++;
    this.el.onended = null;
    this.el.onerror = null;
    this.el.pause();
    this.node.disconnect();
    this.envelope.disconnect();
    this.el.removeAttribute('src');
    this.el.load();
    URL.revokeObjectURL(this.url);
  }
}
