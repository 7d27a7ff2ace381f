/**
 * One SFTP session of a connection, opened on first use and handed out to every caller until it
 * ends: by the server (its end, close or error) or by `drop`. A session that ended is never
 * handed out again; the next caller gets a new one.
 *
 * Why a class of its own: a connection keeps two such sessions, one for uploads and reads and one
 * for the keeper's reads without a shell (`queryFiles`), so that a query that times out and drops
 * its session never ends it under another run's upload.
 */
import type { SFTPWrapper } from 'ssh2';

export class KeptSftp {
  private session: Promise<SFTPWrapper> | undefined;

  constructor(private readonly open: () => Promise<SFTPWrapper>) {}

  /** The session, opened if there is none. */
  get(): Promise<SFTPWrapper> {
    if (this.session) return this.session;
    const session = this.open().then((s) => {
      const forget = () => this.forget(session);
      s.once('end', forget);
      s.once('close', forget);
      // A protocol error after the session opened is emitted here: without a listener it would end the process.
      s.on('error', forget);
      return s;
    });
    this.session = session;
    session.catch(() => this.forget(session));
    return session;
  }

  /** Ends `session` and hands it out no more, if it still is the one handed out (a newer one is left alone). */
  drop(session: Promise<SFTPWrapper>): void {
    if (this.session !== session) return;
    this.session = undefined;
    session.then(
      (s) => s.end(),
      () => undefined,
    );
  }

  /** Whether `session` is still the one handed out (it has not ended and was not dropped). */
  holds(session: Promise<SFTPWrapper>): boolean {
    return this.session === session;
  }

  private forget(session: Promise<SFTPWrapper>): void {
    if (this.session === session) this.session = undefined;
  }
}
