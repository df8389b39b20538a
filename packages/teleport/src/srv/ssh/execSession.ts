/**
 * @module srv/ssh/execSession
 * A non-interactive session (`ssh host command` without a terminal, or `ssh -T host`, which runs
 * the login shell without one): the process runs as the OS user with piped stdio. It is a session like any other - tracked (session_tracker), audited
 * (session.start, then `exec` with the exit code, then session.end) and ended by a shutdown - but
 * it cannot be joined or recorded (there is no terminal to share).
 */
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import type { ServerChannel } from 'ssh2';
import type { ConnContext } from './context.ts';
import { connFields } from './context.ts';
import { finishChannel, pipeToChannel, shellCommand, spawnPiped, type PipedProcess } from './exec.ts';
import type { RegisteredSession } from './sessionRegistry.ts';
import { SessionTrackerPublisher } from './tracker.ts';

/** A running exec session. */
export class ExecSession implements RegisteredSession {
  readonly interactive = false;
  readonly owner: string;
  readonly login: string;
  private readonly proc: PipedProcess;
  private readonly tracker: SessionTrackerPublisher;
  /** Resolves when the command finished and the session was cleaned up. */
  readonly done: Promise<void>;

  private constructor(readonly id: string, private readonly c: ConnContext, readonly command: string | undefined, private readonly channel: ServerChannel, env: Record<string, string>) {
    const node = c.node;
    this.owner = c.user.identity.username;
    this.login = c.user.login;
    const user = c.user.osUser;
    this.proc = spawnPiped(user, command === undefined ? [user.shell, '-l'] : shellCommand(user, command), env);
    const started = node.clock.now();
    this.tracker = new SessionTrackerPublisher({
      authClient: node.authClient, clock: node.clock, logger: node.logger, ...node.trackerTiming,
      spec: {
        session_id: id, kind: 'ssh', state: 'running', created: started.toISOString(), target_id: node.hostId, hostname: node.nodeName,
        address: node.addr(), login: this.login, host_user: this.owner, cluster_name: node.clusterName,
        participants: [{ user: this.owner, mode: 'peer', joined: started.toISOString() }], interactive: false,
        ...(command !== undefined && { command }),
      },
    });
    let finished = false;
    // The client went away first: hang up the command, as losing its terminal would.
    channel.once('close', () => finished || this.proc.kill('HUP'));
    this.done = pipeToChannel(this.proc, channel).then(async (exit) => {
      finished = true;
      finishChannel(channel, exit);
      node.registry.remove(id);
      const failed = exit.error !== undefined || exit.signal !== null || exit.code !== 0;
      const ended = node.clock.now();
      if (command !== undefined) node.auditor.emit({
        event: EventTypes.exec, code: failed ? EventCodes.execFailure : EventCodes.exec, sid: id, ...connFields(c), command,
        exitCode: String(exit.code ?? ''), ...(exit.signal && { exitSignal: exit.signal }),
        ...(failed && { exitError: exit.error?.message ?? (exit.signal ? `killed by SIG${exit.signal}` : `exit status ${exit.code}`) }),
      });
      node.auditor.emit({
        event: EventTypes.sessionEnd, code: EventCodes.sessionEnd, sid: id, ...connFields(c), participants: [this.owner],
        interactive: false, session_recording: 'off', session_start: started.toISOString(), session_stop: ended.toISOString(),
        duration_ms: ended.getTime() - started.getTime(),
      });
      await this.tracker.end();
    });
  }

  /** Starts `command` for the connection's user on `channel`, audited and tracked. */
  static start(id: string, c: ConnContext, command: string | undefined, channel: ServerChannel, env: Record<string, string>): ExecSession {
    const s = new ExecSession(id, c, command, channel, env);
    c.node.registry.add(s);
    s.tracker.start();
    c.node.auditor.emit({
      event: EventTypes.sessionStart, code: EventCodes.sessionStart, sid: id, ...connFields(c), interactive: false,
      session_recording: 'off', ...(command !== undefined && { initial_command: [command] }),
    });
    return s;
  }

  /** Forwards a client signal to the command. */
  signal(name: string): void {
    this.proc.kill(name);
  }

  /** Ends the command (SIGTERM, then SIGKILL), telling the client why on stderr. */
  terminate(message: string): Promise<void> {
    try {
      this.channel.stderr.write(`\r\nteleport: ${message}\r\n`);
      this.proc.child.stdin.end();
    } catch {
      // Already closed.
    }
    this.proc.kill('TERM');
    const timer = setTimeout(() => this.proc.kill('KILL'), 2000);
    void this.done.then(() => clearTimeout(timer));
    return this.done;
  }
}
