import type { HostInterface } from './host-interfaces.ts';

export interface BridgeChoice {
  /** Interfaces a VM can be bridged to: only those whose Status is Up. */
  candidates: HostInterface[];
  /** The candidate that carries the default route, when one matches its name. */
  preselected?: HostInterface;
}

/**
 * Offers the bridged interfaces that are up and preselects the one the host's default route
 * uses. VirtualBox names interfaces differently per OS: `eth0` on Linux, `en0: Wi-Fi` on
 * macOS, the adapter description on Windows; so a name matches exactly, or as the part
 * before a colon, ignoring case.
 */
export function chooseBridgeAdapter(
  interfaces: readonly HostInterface[],
  defaultRouteInterface?: string,
): BridgeChoice {
  const candidates = interfaces.filter((candidate) => candidate.status === 'up');
  const wanted = defaultRouteInterface?.trim().toLowerCase();
  if (!wanted) return { candidates };

  const preselected =
    candidates.find((candidate) => candidate.name.toLowerCase() === wanted) ??
    candidates.find((candidate) => candidate.name.split(':')[0]?.trim().toLowerCase() === wanted);
  return preselected ? { candidates, preselected } : { candidates };
}
