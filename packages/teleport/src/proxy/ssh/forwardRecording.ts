/**
 * @module proxy/ssh/forwardRecording
 * An interactive session (one with a terminal) relayed by the forwarding server: recorded at the
 * proxy when the recording decision says so - the node's output (stdout and stderr, as the
 * terminal showed it) and window changes, as asciicast v2 - and audited with session.start,
 * resize and session.end carrying `session_recording` (the mode, or "off" when unrecorded) and the
 * participants. Role option record_session `strict` refuses the session when the recording cannot
 * start and ends it when recording fails; `best_effort` goes on unrecorded.
 */
import type { ClientChannel, PseudoTtyInfo, ServerChannel } from 'ssh2';
import { errorMessage } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { SessionRecorder } from '../../srv/recording/recorder.ts';
import type { ForwardedConnection } from './forwardContext.ts';
import type { SessionExit } from './forwardSession.ts';

/** What a recording of one session needs. */
export interface ForwardRecordingStart {
  sid: string;
  pty: PseudoTtyInfo;
  /** The client's channel (to tell it when a strict recording fails). */
  channel: ServerChannel;
  /** The node's channel, whose output is recorded. */
  node: ClientChannel;
  command?: string;
}

/** Recording and audit of one interactive forwarded session. */
export class ForwardRecording {
  private readonly startedAt: Date;
  private failed = false;

  private constructor(private readonly fc: ForwardedConnection, private readonly s: ForwardRecordingStart, private readonly recorder: SessionRecorder | undefined) {
    this.startedAt = fc.clock.now();
    fc.audit({
      event: EventTypes.sessionStart, code: EventCodes.sessionStart, ...fc.fields, sid: s.sid, interactive: true,
      session_recording: this.mode(), participants: [fc.user], size: `${s.pty.cols}x${s.pty.rows}`,
      ...(s.command !== undefined && { initial_command: [s.command] }),
    });
    if (recorder) {
      const record = (d: Buffer): void => void recorder.output(d).catch((err: unknown) => this.recordingFailed(err));
      s.node.on('data', record);
      s.node.stderr.on('data', record);
    }
  }

  /**
   * Opens the recording (when the decision says to record) and emits session.start. Rejects, with a
   * message for the user, only when recording is required (strict) and cannot start.
   */
  static async start(fc: ForwardedConnection, s: ForwardRecordingStart): Promise<ForwardRecording> {
    let recorder: SessionRecorder | undefined;
    if (fc.decision.record) {
      try {
        recorder = await fc.recordings.open({ sessionId: s.sid, width: s.pty.cols, height: s.pty.rows, participants: [fc.user], env: { TERM: s.pty.term } });
      } catch (err) {
        if (fc.decision.strict) throw new Error(`session recording is required by your roles (record_session: strict) but could not start: ${errorMessage(err)}`);
        fc.logger.warn({ sid: s.sid, err: errorMessage(err) }, 'session recording failed to start; the session goes on unrecorded (best_effort)');
      }
    }
    return new ForwardRecording(fc, s, recorder);
  }

  /** A window change: recorded and audited. */
  resize(cols: number, rows: number): void {
    void this.recorder?.resize(cols, rows).catch((err: unknown) => this.recordingFailed(err));
    this.fc.audit({ event: EventTypes.sessionResize, code: EventCodes.sessionResize, ...this.fc.fields, sid: this.s.sid, size: `${cols}x${rows}` });
  }

  /** The session is over: closes the recording (its upload finishes in the background) and emits session.end. */
  async end(exit: SessionExit): Promise<void> {
    await this.recorder?.close().catch((err: unknown) => {
      this.fc.logger.error({ sid: this.s.sid, err: errorMessage(err) }, 'could not finish the session recording');
    });
    const ended = this.fc.clock.now();
    this.fc.audit({
      event: EventTypes.sessionEnd, code: EventCodes.sessionEnd, ...this.fc.fields, sid: this.s.sid, participants: [this.fc.user], interactive: true,
      session_recording: this.mode(), session_start: this.startedAt.toISOString(), session_stop: ended.toISOString(),
      duration_ms: ended.getTime() - this.startedAt.getTime(),
      ...(exit.signal ? { exit_signal: exit.signal } : exit.code !== null && { exit_code: exit.code }),
      ...(this.s.command !== undefined && { initial_command: [this.s.command] }),
    });
  }

  private mode(): string {
    return this.recorder ? this.fc.mode : 'off';
  }

  private recordingFailed(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.fc.logger.error({ sid: this.s.sid, err: errorMessage(err) }, 'session recording failed');
    if (!this.fc.decision.strict) return;
    try {
      this.s.channel.stderr.write('\r\nteleport: session recording failed and your roles require it (record_session: strict); ending the session\r\n');
    } catch {
      // The client is gone already.
    }
    this.s.node.close();
  }
}
