import type { HostFacts } from './host-facts.js';

/**
 * The device a node's outgoing traffic leaves by: the default route's device, else the device
 * that carries the node's own address (lab nodes have no default route). Null when neither is
 * known (the address is a host name, or no device carries it).
 */
export function uplinkDevice(facts: HostFacts, nodeAddress: string): string | null {
  if (facts.network.defaultRouteDevice) return facts.network.defaultRouteDevice;
  return facts.network.addresses.find((a) => a.address === nodeAddress)?.device ?? null;
}
