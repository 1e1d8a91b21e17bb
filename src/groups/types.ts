/**
 * The public types of process groups (SPEC section 7). They live beside the group logic,
 * not with the host, so the process-group chart (src/machines/processGroup.ts) needs nothing
 * from src/actors; src/actors/types.ts re-exports them as part of the public API.
 */

/** A group's committed view: who is in it after the update of seq `view`. */
export interface GroupView {
  group: string;
  view: number;
  members: string[];
  joined: string[];
  left: string[];
}

export interface JoinGroupOptions {
  onMessage?: (msg: unknown, from: string) => void;
  onView?: (view: GroupView) => void;
}
