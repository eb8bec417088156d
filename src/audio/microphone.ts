/**
 * The microphone as a source: raw input (echo cancellation, noise suppression and automatic gain
 * all off, since each of them would fight the separator), at the context's rate.
 */

/** The constraints the microphone is opened with. */
export const MIC_CONSTRAINTS: MediaStreamConstraints = {
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  video: false,
};

export class MicrophoneError extends Error {
  override name = 'MicrophoneError';
  /** The DOMException name behind it (NotAllowedError, NotFoundError, …), if any. */
  readonly domName?: string;
  constructor(message: string, domName?: string) {
    super(message);
    this.domName = domName;
  }
}

export class Microphone {
  readonly stream: MediaStream;
  readonly node: MediaStreamAudioSourceNode;
  /** The device's name as the browser reports it (may be empty before permission). */
  readonly label: string;

  private constructor(stream: MediaStream, node: MediaStreamAudioSourceNode) {
    this.stream = stream;
    this.node = node;
    this.label = stream.getAudioTracks()[0]?.label ?? '';
  }

  /** Asks for the microphone and connects it to `destination`. Throws MicrophoneError with a message for the page. */
  static async open(ctx: AudioContext, destination: AudioNode): Promise<Microphone> {
    const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    if (!md?.getUserMedia) {
      throw new MicrophoneError(window.isSecureContext
        ? 'This browser does not give web pages access to a microphone.'
        : 'Microphone input needs a secure page: open it over https:// or from localhost.');
    }
    let stream: MediaStream;
    try {
      stream = await md.getUserMedia(MIC_CONSTRAINTS);
    } catch (e) {
      throw new MicrophoneError(microphoneErrorMessage(e), (e as { name?: string })?.name);
    }
    try {
      const node = new MediaStreamAudioSourceNode(ctx, { mediaStream: stream });
      node.connect(destination);
      return new Microphone(stream, node);
    } catch (e) {
      for (const t of stream.getTracks()) t.stop();
      throw new MicrophoneError(`The microphone opened but could not be connected to the audio graph: ${(e as Error).message}`);
    }
  }

  /** Disconnects and releases the device (the browser's recording indicator goes off). */
  close(): void {
    this.node.disconnect();
    for (const t of this.stream.getTracks()) t.stop();
  }
}

/** A message a person can act on, for each way getUserMedia fails. */
export function microphoneErrorMessage(e: unknown): string {
  const name = (e as { name?: string })?.name ?? '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'Microphone access was denied. Allow the microphone for this page in the browser (the icon in the address bar or the site settings), then press Microphone again.';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
      return 'No microphone was found. Connect one (or enable it in the system settings) and press Microphone again.';
    case 'NotReadableError':
    case 'TrackStartError':
      return 'The microphone could not be started: another application may be using it, or the system blocked it.';
    case 'OverconstrainedError':
      return 'The microphone cannot deliver unprocessed sound (echo cancellation, noise suppression and gain control off).';
    case 'AbortError':
      return 'Opening the microphone was interrupted. Press Microphone to try again.';
    default:
      return `The microphone could not be opened${e instanceof Error && e.message ? `: ${e.message}` : '.'}`;
  }
}
