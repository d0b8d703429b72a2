// The ingress side of one deploy: a fresh replica behind the ingress takes no traffic until the
// deploy finds it healthy, an old one leaves the proxy before it stops, and when the deploy ends,
// however it ends, the proxy goes back to following the engine's health alone. Backend-neutral:
// it only calls the proxy's hooks with replica ids.

import type {IngressHooks} from '../ingress/types.ts';
import type {Emit, PreparedService, Replica} from './ops.ts';

export class IngressGate {
  /** Replicas held out of the ingress until found healthy; released when the deploy ends. */
  private readonly held = new Set<string>();

  private readonly hooks: IngressHooks | undefined;
  private readonly emit: Emit;

  constructor(hooks: IngressHooks | undefined, emit: Emit) {
    this.hooks = hooks;
    this.emit = emit;
  }

  get enabled(): boolean {
    return this.hooks !== undefined;
  }

  /** Keeps a fresh replica of a service behind the ingress out of the proxy. */
  hold(s: Pick<PreparedService, 'ingress'>, id: string): void {
    if (!s.ingress || !this.hooks) return;
    this.hooks.hold(id);
    this.held.add(id);
  }

  /** Lets a held replica in (one that was never held is left alone). */
  async admit(id: string): Promise<void> {
    if (!this.held.delete(id) || !this.hooks) return;
    await this.hooks.release(id);
  }

  /** Forgets a held replica that is going away. */
  forget(id: string): void {
    this.held.delete(id);
  }

  /** Takes a replica behind the ingress out of the proxy before it stops. */
  async drain(c: Replica): Promise<void> {
    if (!c.ingress || !this.hooks) return;
    this.emit('drain', `draining ${c.name}: out of the ingress before it stops`, c.service, c.replica);
    await this.hooks.drain(c.id);
  }

  /** Whatever the outcome, the proxy goes back to following the engine's health alone. */
  async releaseAll(): Promise<void> {
    const hooks = this.hooks;
    if (!hooks) return;
    await Promise.all([...this.held].map((id) => hooks.release(id))).catch(() => undefined);
    this.held.clear();
    await hooks.sync().catch(() => undefined);
  }
}
