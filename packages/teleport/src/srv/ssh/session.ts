/**
 * @module srv/ssh/session
 * An interactive session: one process on a pseudo-terminal shared by its participants. The owner
 * starts it (shell, or a command with `ssh -t`); others join by its id. Every participant sees the
 * output live; peers' keystrokes go to the terminal, observers only watch. Output is also recorded
 * (when the cluster and the roles say so) and the session is published as a session_tracker.
 * The session ends when its process exits, or when the last participant leaves (the process gets
 * SIGHUP, like a closed terminal). Output pauses while a participant's channel is backed up.
 */
import { randomUUID } from 'node:crypto';
import type { ServerChannel } from 'ssh2';
import { errorMessage } from '@teleport-ts/api/errors';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { Participant } from '@teleport-ts/api/types/sessionTracker';
import type { NodeContext } from './context.ts';
import { finishChannel } from './exec.ts';
import type { OSUser } from './osUser.ts';
import { spawnPty, type ProcessExit, type PtyProcess, type PtyRequest } from './pty.ts';
import type { SessionRecording } from './recording.ts';
import type { RegisteredSession } from './sessionRegistry.ts';
import { SessionTrackerPublisher } from './tracker.ts';

/** Someone attached to a session. */
export interface PartyInfo {
  user: string;
  login: string;
  mode: Participant['mode'];
  channel: ServerChannel;
  remoteAddr: string;
  localAddr: string;
}

interface Party extends PartyInfo {
  id: string;
  joined: Date;
}

/** Inputs of InteractiveSession.start. */
export interface InteractiveSessionOptions {
  id: string;
  owner: PartyInfo;
  osUser: OSUser;
  pty: PtyRequest;
  env: Record<string, string>;
  /** A command to run instead of the login shell. */
  command?: string;
  recording: SessionRecording;
}

/** A running interactive session. */
export class InteractiveSession implements RegisteredSession {
  readonly id: string;
  readonly owner: string;
  readonly login: string;
  readonly interactive = true;
  private readonly parties = new Map<string, Party>();
  private readonly everyone = new Set<string>();
  private readonly backedUp = new Set<string>();
  private readonly tracker: SessionTrackerPublisher;
  private readonly started: Date;
  private size: { cols: number; rows: number };
  private exited = false;
  private readonly proc: PtyProcess;
  /** Resolves when the session ended and was cleaned up. */
  readonly done: Promise<void>;

  private constructor(private readonly node: NodeContext, private readonly opts: InteractiveSessionOptions) {
    this.id = opts.id;
    this.owner = opts.owner.user;
    this.login = opts.owner.login;
    this.started = node.clock.now();
    this.size = { cols: opts.pty.cols, rows: opts.pty.rows };
    const argv = opts.command !== undefined ? [opts.osUser.shell, '-c', opts.command] : undefined;
    this.proc = spawnPty(opts.osUser, opts.pty, opts.env, argv);
    this.tracker = new SessionTrackerPublisher({
      authClient: node.authClient, clock: node.clock, logger: node.logger, ...node.trackerTiming,
      spec: {
        session_id: this.id, kind: 'ssh', state: 'running', created: this.started.toISOString(), target_id: node.hostId,
        hostname: node.nodeName, address: node.addr(), login: this.login, host_user: this.owner, cluster_name: node.clusterName,
        participants: [], interactive: true, ...(opts.command !== undefined && { command: opts.command }),
      },
    });
    this.done = new Promise((resolve) => this.proc.onExit((exit) => void this.finish(exit).then(resolve)));
    this.proc.onData((data) => this.broadcast(data));
  }

  /** Starts the process, publishes and audits the session, and attaches the owner. */
  static start(node: NodeContext, opts: InteractiveSessionOptions): InteractiveSession {
    const s = new InteractiveSession(node, opts);
    node.registry.add(s);
    s.tracker.start();
    node.auditor.emit({
      event: EventTypes.sessionStart, code: EventCodes.sessionStart, sid: s.id, user: s.owner, login: s.login,
      'addr.remote': opts.owner.remoteAddr, 'addr.local': opts.owner.localAddr, size: `${s.size.cols}x${s.size.rows}`,
      interactive: true, session_recording: s.recordingMode(), ...(opts.command !== undefined && { initial_command: [opts.command] }),
    });
    s.attach(opts.owner, false);
    return s;
  }

  /** Attaches a joining participant (access was checked by the caller). */
  join(info: PartyInfo): void {
    this.attach(info, true);
  }

  /** A participant's window changed: the terminal follows the latest change. */
  resize(cols: number, rows: number, by: string): void {
    if (this.exited || (cols === this.size.cols && rows === this.size.rows)) return;
    this.size = { cols, rows };
    this.proc.resize(cols, rows);
    void this.opts.recording.sink?.resize(cols, rows).catch((err: unknown) => this.recordingFailed(err));
    this.node.auditor.emit({
      event: EventTypes.sessionResize, code: EventCodes.sessionResize, sid: this.id, user: by, login: this.login, size: `${cols}x${rows}`,
    });
  }

  /** Delivers a signal from a peer to the process. */
  signal(name: string): void {
    if (!this.exited) this.proc.kill(name);
  }

  /** Ends the session: tells everyone why, hangs up the terminal, kills it if it lingers. */
  terminate(message: string): Promise<void> {
    if (!this.exited) {
      for (const p of this.parties.values()) safeWrite(p.channel, `\r\nteleport: ${message}\r\n`);
      this.proc.kill('HUP');
      const timer = setTimeout(() => this.proc.kill('KILL'), 2000);
      void this.done.then(() => clearTimeout(timer));
    }
    return this.done;
  }

  private recordingMode(): string {
    return this.opts.recording.sink ? this.opts.recording.mode : 'off';
  }

  private attach(info: PartyInfo, joining: boolean): void {
    const party: Party = { ...info, id: randomUUID(), joined: this.node.clock.now() };
    this.parties.set(party.id, party);
    this.everyone.add(party.user);
    this.opts.recording.sink?.addParticipant(party.user);
    info.channel.on('data', (d: Buffer) => {
      if (party.mode === 'peer' && !this.exited) this.proc.write(d);
    });
    info.channel.on('error', () => undefined);
    info.channel.once('close', () => this.detach(party));
    this.tracker.update({ participants: this.participants() });
    if (joining) {
      this.node.auditor.emit({
        event: EventTypes.sessionJoin, code: EventCodes.sessionJoin, sid: this.id, user: party.user, login: party.login,
        'addr.remote': party.remoteAddr, 'addr.local': party.localAddr, participant_mode: party.mode,
      });
    }
  }

  private detach(party: Party): void {
    if (!this.parties.delete(party.id)) return;
    this.unblock(party.id);
    this.auditLeave(party);
    this.tracker.update({ participants: this.participants() });
    if (this.parties.size === 0) void this.terminate('everyone left the session');
  }

  private auditLeave(party: Party): void {
    this.node.auditor.emit({
      event: EventTypes.sessionLeave, code: EventCodes.sessionLeave, sid: this.id, user: party.user, login: party.login,
      'addr.remote': party.remoteAddr,
    });
  }

  private participants(): Participant[] {
    return [...this.parties.values()].map((p) => ({ user: p.user, mode: p.mode, joined: p.joined.toISOString() }));
  }

  private broadcast(data: Buffer): void {
    void this.opts.recording.sink?.output(data).catch((err: unknown) => this.recordingFailed(err));
    for (const p of this.parties.values()) {
      if (!safeWrite(p.channel, data) && !this.backedUp.has(p.id)) {
        this.backedUp.add(p.id);
        this.proc.pause();
        p.channel.once('drain', () => this.unblock(p.id));
      }
    }
  }

  private unblock(partyId: string): void {
    if (this.backedUp.delete(partyId) && this.backedUp.size === 0) this.proc.resume();
  }

  private recordingFailed(err: unknown): void {
    this.node.logger.error({ sid: this.id, err: errorMessage(err) }, 'session recording failed');
    if (this.opts.recording.decision.strict) void this.terminate('session recording failed and your roles require it (record_session: strict); ending the session');
  }

  private async finish(exit: ProcessExit): Promise<void> {
    this.exited = true;
    this.proc.resume();
    const leaving = [...this.parties.values()];
    this.parties.clear();
    for (const p of leaving) {
      this.auditLeave(p);
      finishChannel(p.channel, exit);
    }
    this.node.registry.remove(this.id);
    const ended = this.node.clock.now();
    const closing = this.opts.recording.sink?.close().catch((err: unknown) => {
      this.node.logger.error({ sid: this.id, err: errorMessage(err) }, 'could not finish the session recording');
    });
    this.node.auditor.emit({
      event: EventTypes.sessionEnd, code: EventCodes.sessionEnd, sid: this.id, user: this.owner, login: this.login,
      participants: [...this.everyone], interactive: true, session_recording: this.recordingMode(),
      session_start: this.started.toISOString(), session_stop: ended.toISOString(), duration_ms: ended.getTime() - this.started.getTime(),
      ...(exit.signal ? { exit_signal: exit.signal } : { exit_code: exit.code }),
    });
    await Promise.all([closing, this.tracker.end()]);
  }
}

/** Writes to a channel that may already be closed; returns false when the channel is backed up. */
function safeWrite(channel: ServerChannel, data: Buffer | string): boolean {
  try {
    return channel.writable ? channel.write(data) : true;
  } catch {
    return true;
  }
}
