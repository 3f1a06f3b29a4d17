# Haskell build VM: Ubuntu 24.04 server, GHC via GHCup, and the build agent that dials out to
# the workstation. Build with `packer init . && packer build .` (Packer >= 1.10).

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    virtualbox = {
      # output_filename and --vmname export options need the 1.x plugin.
      version = "~> 1"
      source  = "github.com/hashicorp/virtualbox"
    }
  }
}

variable "ghc_versions" {
  type        = list(string)
  description = "GHC versions to install with GHCup; the first one becomes the default ghc."
  default     = ["9.8.4", "9.6.6"]

  validation {
    condition = length(var.ghc_versions) > 0 && length([
      for v in var.ghc_versions : v if !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", v))
    ]) == 0
    error_message = "The ghc_versions value must list at least one version such as \"9.8.4\"."
  }
}

variable "cabal_version" {
  type        = string
  description = "cabal-install version installed with GHCup."
  default     = "3.12.1.0"
}

variable "cpus" {
  type    = number
  default = 4
}

variable "memory" {
  type        = number
  description = "RAM in MiB. GHC needs about 2 GiB per parallel module job."
  default     = 8192
}

variable "disk_size" {
  type        = number
  description = "Disk size in MiB (the disk grows on demand; the OVA holds only used blocks)."
  default     = 40960
}

variable "iso_url" {
  type = string
  # releases.ubuntu.com keeps only the newest point release: when 24.04.N+1 ships, pass its URL
  # (or the old-releases.ubuntu.com one) with -var iso_url=...
  default = "https://releases.ubuntu.com/24.04/ubuntu-24.04.3-live-server-amd64.iso"
}

variable "iso_checksum" {
  type        = string
  description = "ISO checksum, or a file: URL of a SHA256SUMS list that names the ISO."
  default     = "file:https://releases.ubuntu.com/24.04/SHA256SUMS"
}

variable "vm_name" {
  type        = string
  description = "Name of the VM inside the OVA, and the prefix of the OVA file name."
  default     = "haskell-build"
}

variable "output_directory" {
  type        = string
  description = "Where the OVA is written; must not exist yet."
  default     = "output"
}

variable "ssh_password" {
  type        = string
  description = <<-EOT
    Temporary password of user builder. http/user-data holds its SHA-512 crypt hash: change
    both together. Password login is switched off once credentials are injected.
  EOT
  default     = "builder"
  sensitive   = true
}

locals {
  build_date = formatdate("YYYYMMDD", timestamp())

  # The VM registered in VirtualBox while building gets a unique name, so a build never clashes
  # with an imported haskell-build VM; the OVA still carries var.vm_name (export --vmname).
  build_vm_name = "${var.vm_name}-packer-${formatdate("YYYYMMDDhhmmss", timestamp())}"

  default_ghc = var.ghc_versions[0]
  description = "Haskell build VM: GHC ${join(", ", var.ghc_versions)}, cabal ${var.cabal_version}"
}

source "virtualbox-iso" "haskell" {
  guest_os_type        = "Ubuntu_64"
  iso_url              = var.iso_url
  iso_checksum         = var.iso_checksum
  vm_name              = local.build_vm_name
  cpus                 = var.cpus
  memory               = var.memory
  disk_size            = var.disk_size
  hard_drive_interface = "sata"
  iso_interface        = "sata"
  gfx_controller       = "vmsvga"
  gfx_vram_size        = 16
  headless             = true

  # The guest tools come from Ubuntu's virtualbox-guest-utils package instead (scripts/).
  guest_additions_mode = "disable"

  # Adapter 1 stays NAT while building; scripts/setup-vm.sh switches it to bridged after import.
  vboxmanage = [
    ["modifyvm", "{{ .Name }}", "--nic1", "nat", "--audio-driver", "none"],
  ]

  http_directory = "${path.root}/http"
  boot_wait      = "5s"

  # GRUB's command line on the live-server ISO: boot the installer kernel with autoinstall and
  # a NoCloud seed served by Packer. The ';' must be escaped for GRUB.
  boot_command = [
    "c<wait>",
    "linux /casper/vmlinuz --- autoinstall ds=nocloud\\;s=http://{{ .HTTPIP }}:{{ .HTTPPort }}/",
    "<enter><wait>",
    "initrd /casper/initrd<enter><wait>",
    "boot<enter>",
  ]

  communicator           = "ssh"
  ssh_username           = "builder"
  ssh_password           = var.ssh_password
  ssh_timeout            = "45m"
  ssh_handshake_attempts = 200

  shutdown_command = "echo '${var.ssh_password}' | sudo -S shutdown -P now"
  shutdown_timeout = "10m"

  format           = "ova"
  output_directory = var.output_directory
  output_filename  = "${var.vm_name}-${local.build_date}"
  export_opts = [
    "--manifest",
    "--vsys", "0",
    "--vmname", var.vm_name,
    "--description", local.description,
    "--version", local.build_date,
  ]
}

build {
  name    = "haskell-build"
  sources = ["source.virtualbox-iso.haskell"]

  # The file provisioner needs the target directory to exist.
  provisioner "shell" {
    inline = ["mkdir -p /tmp/build-agent-files"]
  }

  provisioner "file" {
    source      = "${path.root}/files/"
    destination = "/tmp/build-agent-files"
  }

  provisioner "shell" {
    execute_command = "echo '${var.ssh_password}' | sudo -S -E env {{ .Vars }} bash '{{ .Path }}'"
    environment_vars = [
      "BUILD_USER=builder",
      "GHC_VERSIONS=${join(" ", var.ghc_versions)}",
      "GHC_DEFAULT=${local.default_ghc}",
      "CABAL_VERSION=${var.cabal_version}",
      "AGENT_FILES=/tmp/build-agent-files",
    ]
    scripts = [
      "${path.root}/scripts/10-packages.sh",
      "${path.root}/scripts/20-ghcup.sh",
      "${path.root}/scripts/30-build-agent.sh",
      "${path.root}/scripts/40-sshd.sh",
      "${path.root}/scripts/90-cleanup.sh",
    ]
  }
}
