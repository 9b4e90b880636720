/**
 * W&B's run config is nested: wandb.config.update({'optimizer': {'name': 'sgd'}}) shows as the
 * column optimizer.name and reads back as config['optimizer']['name']. saveHyperparameters
 * flattens nested objects with '.', so a param 'optimizer.name' goes back into that shape as the
 * nested key ['optimizer', 'name']. A param whose path runs into another param's value (or names
 * a group of them) replaces it, as wandb.config.update would; that is told once per param.
 */
import type { ItemKey } from '../records/messages.js';

export class ConfigKeys {
  /** Paths that hold a value, and paths that hold a group, joined with '\0'. */
  private readonly leaves = new Set<string>();
  private readonly groups = new Set<string>();
  private readonly told = new Set<string>();

  constructor(private readonly warn: (message: string) => void) {}

  /** The item key of param `name` (split at '.'), noting conflicts. */
  paramKey(name: string): ItemKey {
    const parts = name.split('.');
    // An empty part ('a..b', '.a') cannot be a nested path: keep such a name whole.
    return parts.length > 1 && !parts.includes('') ? this.claim(parts, name) : this.claim([name], name);
  }

  /** The item key of a path chosen by ranklog (e.g. ['datasets', identifier]). */
  pathKey(parts: readonly string[]): ItemKey {
    return this.claim(parts, parts.join('.'));
  }

  private claim(parts: readonly string[], name: string): ItemKey {
    const path = parts.join('\0');
    let conflict = this.groups.has(path);
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join('\0');
      if (this.leaves.has(prefix)) {
        conflict = true;
        this.leaves.delete(prefix);
      }
      this.groups.add(prefix);
    }
    if (conflict && !this.told.has(name)) {
      this.told.add(name);
      this.warn(`param '${name}' replaces other params in the W&B config, which nests at '.' (as wandb.config.update does): rename one of them to keep both`);
    }
    this.leaves.add(path);
    return parts.length === 1 ? parts[0]! : parts;
  }
}
