// Compose's merge tags. The YAML phase turns `!reset` and `!override` into these markers; the
// merge phase acts on them and removes them, so later phases never see one.

/** `!reset`: drop the inherited value (the node's own value is ignored). */
export class Reset {
  readonly tag = '!reset';
}

/** `!override`: replace the inherited value instead of merging into it. */
export class Override {
  readonly tag = '!override';
  readonly value: unknown;

  constructor(value: unknown) {
    this.value = value;
  }
}

export function isTagged(v: unknown): v is Reset | Override {
  return v instanceof Reset || v instanceof Override;
}
