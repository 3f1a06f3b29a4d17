/**
 * Makes small but real OVA files for tests: a tar (made by the real `tar`) holding an OVF
 * descriptor first and a disk image after it. The disk of a lab image is itself a tar with the
 * image's SSH host key, so a test knows the key to pin before the VM ever boots.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface OvfHardware {
  name: string;
  osType: string;
  description?: string;
  cpus: number;
  memoryMb: number;
  /** The Connection of the ethernet item: "NAT" for an image built by Packer. */
  network: string;
  diskFile: string;
  /** The extra items of case 10's appliance: floppy, CD-ROM, SCSI and two IDE controllers. */
  legacyDevices?: boolean;
}

export interface TinyOva {
  path: string;
  /** `ssh-ed25519 AAAA...` of the image's host key. */
  hostKey: string;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function item(fields: Record<string, string | number>): string {
  const body = Object.entries(fields)
    .map(([key, value]) => `        <rasd:${key}>${escapeXml(String(value))}</rasd:${key}>`)
    .join('\n');
  return `      <Item>\n${body}\n      </Item>`;
}

export function ovfDescriptor(hardware: OvfHardware, diskSize: number): string {
  const controller = hardware.legacyDevices ? 5 : 3;
  const items = [
    item({
      Caption: `${hardware.cpus} virtual CPU`,
      InstanceID: 1,
      ResourceType: 3,
      VirtualQuantity: hardware.cpus,
    }),
    item({
      Caption: `${hardware.memoryMb} MB`,
      InstanceID: 2,
      ResourceType: 4,
      VirtualQuantity: hardware.memoryMb,
    }),
    item({
      Caption: 'ethernet adapter',
      Connection: hardware.network,
      InstanceID: 3,
      ResourceSubType: 'E1000',
      ResourceType: 10,
    }),
  ];
  if (hardware.legacyDevices) {
    items.push(
      item({ Caption: 'floppy', InstanceID: 4, ResourceType: 14 }),
      item({ Caption: 'cdrom', InstanceID: 6, ResourceType: 15 }),
      item({
        Caption: 'scsiController0',
        InstanceID: 5,
        ResourceSubType: 'lsilogic',
        ResourceType: 6,
      }),
      item({ Caption: 'ideController0', InstanceID: 7, ResourceSubType: 'PIIX4', ResourceType: 5 }),
      item({ Caption: 'ideController1', InstanceID: 8, ResourceSubType: 'PIIX4', ResourceType: 5 }),
    );
  } else {
    items.push(
      item({
        Caption: 'sataController0',
        InstanceID: 5,
        ResourceSubType: 'AHCI',
        ResourceType: 20,
      }),
    );
  }
  items.push(
    item({
      AddressOnParent: 0,
      Caption: 'disk1',
      HostResource: 'ovf:/disk/vmdisk1',
      InstanceID: 9,
      Parent: controller,
      ResourceType: 17,
    }),
  );
  const annotation =
    hardware.description === undefined
      ? ''
      : `    <AnnotationSection>\n      <Info>A human-readable annotation</Info>\n` +
        `      <Annotation>${escapeXml(hardware.description)}</Annotation>\n` +
        '    </AnnotationSection>\n';
  return `<?xml version="1.0" encoding="UTF-8"?>
<Envelope vmw:buildId="build-3620759" xmlns="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
    xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
    xmlns:vbox="http://www.virtualbox.org/ovf/machine" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:href="${escapeXml(hardware.diskFile)}" ovf:id="file1" ovf:size="${diskSize}"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="20" ovf:capacityAllocationUnits="byte * 2^30" ovf:diskId="vmdisk1"
      ovf:fileRef="file1" ovf:populatedSize="1346502656"
      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <VirtualSystem ovf:id="${escapeXml(hardware.name)}">
    <Info>A virtual machine</Info>
    <Name>${escapeXml(hardware.name)}</Name>
${annotation}    <OperatingSystemSection ovf:id="80">
      <Info>The kind of installed guest operating system</Info>
      <Description>${escapeXml(hardware.osType)}</Description>
      <vbox:OSType ovf:required="false">${escapeXml(hardware.osType)}</vbox:OSType>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
${items.join('\n')}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`;
}

/** Packs an OVA: the descriptor first, as the OVF spec requires, then the disk. */
export async function packOva(
  folder: string,
  hardware: OvfHardware,
  disk: Buffer,
  file = `${hardware.name}.ova`,
): Promise<string> {
  const ovf = `${hardware.name}.ovf`;
  await writeFile(join(folder, hardware.diskFile), disk);
  await writeFile(join(folder, ovf), ovfDescriptor(hardware, disk.length));
  const path = join(folder, file);
  execFileSync('tar', ['-cf', path, '-C', folder, ovf, hardware.diskFile]);
  return path;
}

/** A lab image: Ubuntu-like OVF, NAT networking, a disk carrying the image's host key. */
export async function makeTinyOva(name = 'haskell-build', parent = tmpdir()): Promise<TinyOva> {
  const folder = await mkdtemp(join(parent, 'bm-ova-'));
  const root = join(folder, 'disk-root');
  await mkdir(join(root, 'etc', 'ssh'), { recursive: true });
  const key = join(root, 'etc', 'ssh', 'ssh_host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  const diskTar = join(folder, 'disk.tar');
  execFileSync('tar', [
    '-cf',
    diskTar,
    '-C',
    root,
    'etc/ssh/ssh_host_ed25519_key',
    'etc/ssh/ssh_host_ed25519_key.pub',
  ]);
  const path = await packOva(
    folder,
    {
      name,
      osType: 'Ubuntu_64',
      cpus: 2,
      memoryMb: 4096,
      network: 'NAT',
      diskFile: `${name}-disk001.vmdk`,
    },
    await readFile(diskTar),
  );
  const hostKey = (await readFile(`${key}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  return { path, hostKey };
}

// `tsx tiny-ova.ts <name> <folder>` (make lab): prints the path of a new OVA to import.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [name, folder] = process.argv.slice(2);
  makeTinyOva(name, folder).then(
    (ova) => process.stdout.write(`${ova.path}\n`),
    (error: unknown) => {
      process.stderr.write(`tiny-ova: ${String(error)}\n`);
      process.exit(1);
    },
  );
}
