/**
 * Reads an OVA as VirtualBox does: a tar archive whose first .ovf member describes one virtual
 * system, with the disk images beside it. The real `tar` program reads the archive, so a broken
 * archive fails the way a real one would.
 */
import { spawnSync } from 'node:child_process';

export interface OvfItem {
  resourceType: number;
  instanceId: string;
  subType?: string;
  quantity?: number;
  connection?: string;
  hostResource?: string;
  parent?: string;
  address?: string;
}

export interface OvfDisk {
  diskId: string;
  capacity: string;
  populatedSize: string;
  format: string;
  href: string;
  size: string;
}

export interface OvfSystem {
  name: string;
  osType: string;
  description?: string;
  items: OvfItem[];
  disks: OvfDisk[];
}

export class OvaError extends Error {}

export function listOva(file: string): string[] {
  const listed = spawnSync('tar', ['-tf', file], { encoding: 'utf8' });
  if (listed.status !== 0) throw new OvaError(listed.stderr.trim() || 'not a tar archive');
  return listed.stdout.split('\n').filter(Boolean);
}

export function readMember(file: string, member: string): Buffer {
  const read = spawnSync('tar', ['-xOf', file, member], { maxBuffer: 64 * 1024 * 1024 });
  if (read.status !== 0) throw new OvaError(`cannot read ${member} from the OVA`);
  return read.stdout;
}

export function extractMember(file: string, member: string, folder: string): void {
  const done = spawnSync('tar', ['-xf', file, '-C', folder, member], { encoding: 'utf8' });
  if (done.status !== 0) throw new OvaError(done.stderr.trim() || `cannot extract ${member}`);
}

function attribute(element: string, name: string): string | undefined {
  const match = new RegExp(`\\b${name}="([^"]*)"`).exec(element);
  return match ? decodeXml(match[1] ?? '') : undefined;
}

function elementText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}(?:\\s[^>]*)?>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? decodeXml(match[1] ?? '') : undefined;
}

function decodeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The first virtual system of an OVF descriptor, with what `import` prints about it. */
export function parseOvf(xml: string): OvfSystem {
  const system = /<VirtualSystem\b([^>]*)>([\s\S]*?)<\/VirtualSystem>/.exec(xml);
  if (!system) throw new OvaError('the OVF descriptor describes no VirtualSystem');
  const body = system[2] ?? '';
  const files = new Map<string, { href: string; size: string }>();
  for (const match of xml.matchAll(/<File\b[^>]*\/?>/g)) {
    const id = attribute(match[0], 'ovf:id');
    if (id) {
      files.set(id, {
        href: attribute(match[0], 'ovf:href') ?? '',
        size: attribute(match[0], 'ovf:size') ?? '-1',
      });
    }
  }
  const disks = [...xml.matchAll(/<Disk\b[^>]*\/?>/g)].map(([element]) => {
    const file = files.get(attribute(element, 'ovf:fileRef') ?? '');
    return {
      diskId: attribute(element, 'ovf:diskId') ?? '',
      capacity: attribute(element, 'ovf:capacity') ?? '0',
      populatedSize: attribute(element, 'ovf:populatedSize') ?? '-1',
      format: attribute(element, 'ovf:format') ?? '',
      href: file?.href ?? '',
      size: file?.size ?? '-1',
    };
  });

  const items = [...body.matchAll(/<(?:ovf:)?Item\b[^>]*>([\s\S]*?)<\/(?:ovf:)?Item>/g)].map(
    ([, item = '']) => {
      const text = (tag: string) => elementText(item, `rasd:${tag}`)?.trim();
      const quantity = text('VirtualQuantity');
      return {
        resourceType: Number(text('ResourceType')),
        instanceId: text('InstanceID') ?? '',
        ...optional('subType', text('ResourceSubType')),
        ...optional('quantity', quantity === undefined ? undefined : Number(quantity)),
        ...optional('connection', text('Connection')),
        ...optional('hostResource', text('HostResource')),
        ...optional('parent', text('Parent')),
        ...optional('address', text('AddressOnParent')),
      };
    },
  );

  const osSection = /<OperatingSystemSection\b[\s\S]*?<\/OperatingSystemSection>/.exec(body)?.[0];
  const osType =
    (
      osSection &&
      (elementText(osSection, 'vbox:OSType') ?? elementText(osSection, 'Description'))
    )?.trim() || 'Other';
  const annotation = /<AnnotationSection\b[\s\S]*?<\/AnnotationSection>/.exec(body)?.[0];
  const description = annotation ? elementText(annotation, 'Annotation') : undefined;
  const name = elementText(body, 'Name')?.trim() || attribute(system[1] ?? '', 'ovf:id') || 'vm';
  return { name, osType, ...optional('description', description), items, disks };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
