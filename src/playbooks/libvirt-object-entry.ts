import type { LibvirtObject } from '../resources/absent-libvirt.js';

/** The keys of an `absent-libvirt` entry, one of which names its object. */
export const LIBVIRT_OBJECTS: readonly LibvirtObject[] = ['domain', 'network', 'pool'];

/**
 * The object an `absent-libvirt` entry names, and its name as written: the loader has checked that
 * it names exactly one (load.ts).
 */
export function libvirtObjectOf(entry: Partial<Record<LibvirtObject, string>>): [LibvirtObject, string] {
  const object = LIBVIRT_OBJECTS.find((k) => entry[k] !== undefined);
  if (!object) throw new Error('an absent-libvirt entry names none of domain, network or pool');
  return [object, entry[object]!];
}
