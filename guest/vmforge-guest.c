// vmforge-guest: PID 1 of the test guest after /init; reports what the guest sees on ttyS0.
//
// Every change of a fact is printed as one line `vmforge-guest: <key>=<value>` (see
// guest/README.md for the keys); a key whose thing disappeared is printed with an empty value.
// It also onlines hot-added CPUs and memory, reads ISO 9660 seed images and virtio-fs shares,
// powers the guest off when the ACPI power button is pressed, and runs the data commands of the
// port vmforge.cmd. It wakes on kernel uevents, on a command and on a 100 ms tick (balloon and
// link changes send no uevent), and never forks.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

enum {
  kMaxFacts = 1024,
  kMaxNames = 256,
  kMaxInputs = 16,
  kTickMs = 100,
  kSeedFileMax = 4096,  // bytes of user-data/meta-data reported, before escaping
  kLineMax = 6 * kSeedFileMax,
  kIoBlock = 4096,  // bytes per request of a command
  kMaxBlocks = 65536,
  kWordMax = 64,
  kCmdLineMax = 512,
};

static const char kSeedRoot[] = "/run/seed";
static const char kShareRoot[] = "/run/virtiofs";
static const int kSyslogActionConsoleLevel = 8;  // SYSLOG_ACTION_CONSOLE_LEVEL, not in glibc's headers

// ---------------------------------------------------------------------------------------------
// Output: one write() per line so the line stays whole on the serial port.

static int out_fd = 2;

static void emit_line(const char* text) {
  char line[kLineMax + 64];
  int n = snprintf(line, sizeof line, "vmforge-guest: %s\n", text);
  if (n < 0) return;
  if ((size_t)n >= sizeof line) n = sizeof line - 1;
  ssize_t done = 0;
  while (done < n) {
    ssize_t w = write(out_fd, line + done, (size_t)(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    done += w;
  }
}

// ---------------------------------------------------------------------------------------------
// Facts: each scan fills `next`; publish() prints the differences against `current`.

struct Fact {
  char* key;
  char* value;
};

struct Facts {
  struct Fact items[kMaxFacts];
  int count;
};

static struct Facts current, next;

static void facts_clear(struct Facts* f) {
  for (int i = 0; i < f->count; i++) {
    free(f->items[i].key);
    free(f->items[i].value);
  }
  f->count = 0;
}

static const char* facts_get(const struct Facts* f, const char* key) {
  for (int i = 0; i < f->count; i++)
    if (strcmp(f->items[i].key, key) == 0) return f->items[i].value;
  return NULL;
}

static void fact(const char* key, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void fact(const char* key, const char* fmt, ...) {
  if (next.count == kMaxFacts) return;
  char* value = NULL;
  va_list ap;
  va_start(ap, fmt);
  int n = vasprintf(&value, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  next.items[next.count].key = strdup(key);
  next.items[next.count].value = value;
  next.count++;
}

static void publish(void) {
  char line[kLineMax + 256];
  for (int i = 0; i < next.count; i++) {
    const char* old = facts_get(&current, next.items[i].key);
    if (old && strcmp(old, next.items[i].value) == 0) continue;
    if (!old && next.items[i].value[0] == '\0') continue;
    snprintf(line, sizeof line, "%s=%s", next.items[i].key, next.items[i].value);
    emit_line(line);
  }
  for (int i = 0; i < current.count; i++) {
    if (current.items[i].value[0] == '\0' || facts_get(&next, current.items[i].key)) continue;
    snprintf(line, sizeof line, "%s=", current.items[i].key);
    emit_line(line);
  }
  facts_clear(&current);
  current = next;
  next.count = 0;
}

// ---------------------------------------------------------------------------------------------
// Small file helpers.

// Reads up to size-1 bytes of `path` into buf, NUL-terminated, trailing whitespace removed.
static bool read_text(const char* path, char* buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return false;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\0')) n--;
  buf[n] = '\0';
  return true;
}

static bool write_text(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text);
}

static int compare_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

// Entries of `dir` not starting with '.', sorted; returns the count (names are malloc'ed).
static int list_dir(const char* dir, char** names, int max) {
  DIR* d = opendir(dir);
  if (!d) return 0;
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < max)
    if (e->d_name[0] != '.') names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, (size_t)n, sizeof names[0], compare_names);
  return n;
}

static void free_names(char** names, int n) {
  for (int i = 0; i < n; i++) free(names[i]);
}

// Appends `item` to a comma-separated list held in buf.
static void list_append(char* buf, size_t size, const char* item) {
  size_t len = strlen(buf);
  snprintf(buf + len, size - len, "%s%s", len ? "," : "", item);
}

// Reports `items` (malloc'ed, freed here) as a sorted comma-separated list.
static void fact_sorted_list(const char* key, char** items, int n) {
  qsort(items, (size_t)n, sizeof items[0], compare_names);
  char list[4096] = "";
  for (int i = 0; i < n; i++) list_append(list, sizeof list, items[i]);
  free_names(items, n);
  fact(key, "%s", list);
}

// Report values are one line of printable ASCII: '\\', control and non-ASCII bytes are escaped
// as \\, \n, \r, \t and \xHH.
static void escape_into(char* out, size_t size, const unsigned char* in, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < len && o + 5 < size; i++) {
    unsigned char c = in[i];
    if (c == '\\') o += (size_t)snprintf(out + o, size - o, "\\\\");
    else if (c == '\n') o += (size_t)snprintf(out + o, size - o, "\\n");
    else if (c == '\r') o += (size_t)snprintf(out + o, size - o, "\\r");
    else if (c == '\t') o += (size_t)snprintf(out + o, size - o, "\\t");
    else if (c < 0x20 || c >= 0x7f) o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
    else out[o++] = (char)c;
  }
  out[o] = '\0';
}

// ---------------------------------------------------------------------------------------------
// CPUs and memory: online whatever was hot-added, then report.

static void scan_cpus(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/devices/system/cpu", names, kMaxNames);
  int online = 0;
  for (int i = 0; i < n; i++) {
    if (strncmp(names[i], "cpu", 3) != 0 || names[i][3] < '0' || names[i][3] > '9') continue;
    char path[128], state[16];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/%s/online", names[i]);
    if (!read_text(path, state, sizeof state)) {
      online++;  // the boot CPU has no 'online' file
      continue;
    }
    if (strcmp(state, "0") == 0 && write_text(path, "1")) strcpy(state, "1");
    if (strcmp(state, "1") == 0) online++;
  }
  free_names(names, n);
  char list[256] = "";
  read_text("/sys/devices/system/cpu/online", list, sizeof list);
  fact("cpus", "%d", online);
  fact("cpus.online", "%s", list);
}

static void scan_memory(void) {
  char* names[kMaxNames * 4];
  int n = list_dir("/sys/devices/system/memory", names, kMaxNames * 4);
  for (int i = 0; i < n; i++) {
    if (strncmp(names[i], "memory", 6) != 0) continue;
    char path[128], state[32];
    snprintf(path, sizeof path, "/sys/devices/system/memory/%s/state", names[i]);
    if (read_text(path, state, sizeof state) && strcmp(state, "offline") == 0) write_text(path, "online");
  }
  free_names(names, n);
  char buf[4096];
  if (!read_text("/proc/meminfo", buf, sizeof buf)) return;
  const char* total = strstr(buf, "MemTotal:");
  if (total) fact("memtotal_kib", "%lld", atoll(total + strlen("MemTotal:")));
}

// ---------------------------------------------------------------------------------------------
// Block devices and seed images. A disk is probed for an ISO 9660 volume when it appears or its
// size changes (a new medium); the files of an ISO 9660 disk (a seed image) are read once per
// medium.

struct Disk {
  char dev[32];
  long long size;
  unsigned long pvd_hash;  // identifies the ISO 9660 medium; 0: not ISO 9660
  char label[160];         // its volume id, escaped
  char* mount_error;
  char* files;      // seed: the regular files, comma-separated
  char* user_data;  // seed: escaped content, or NULL when absent
  char* meta_data;
  bool media_changed;  // the kernel said so (uevent DISK_MEDIA_CHANGE=1): read it again
  bool seen;
};

static struct Disk disks[kMaxNames];
static int disk_count;

// Reads the ISO 9660 primary volume descriptor of `dev`: returns a hash of it (0 if there is
// none) and sets `label` to its volume id, escaped. Opening a removable device also makes the
// kernel re-check its medium.
static unsigned long iso_probe(const char* dev, char* label, size_t size) {
  label[0] = '\0';
  char path[64];
  snprintf(path, sizeof path, "/dev/%s", dev);
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  unsigned char pvd[2048];
  ssize_t n = pread(fd, pvd, sizeof pvd, 16 * 2048);
  close(fd);
  if (n != (ssize_t)sizeof pvd || pvd[0] != 1 || memcmp(pvd + 1, "CD001", 5) != 0) return 0;
  int len = 32;
  while (len > 0 && (pvd[40 + len - 1] == ' ' || pvd[40 + len - 1] == '\0')) len--;
  escape_into(label, size, pvd + 40, (size_t)len);
  unsigned long hash = 5381;
  for (size_t i = 0; i < sizeof pvd; i++) hash = hash * 33 + pvd[i];
  return hash ? hash : 1;
}

// SCSI disks carry their serial in VPD page 0x80: a 4-byte header, then the serial.
static void scsi_serial(const char* dev, char* out, size_t size) {
  char path[128];
  snprintf(path, sizeof path, "/sys/block/%s/device/vpd_pg80", dev);
  unsigned char page[256];
  out[0] = '\0';
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, page, sizeof page);
  close(fd);
  if (n <= 4) return;
  size_t len = (size_t)n - 4;
  if (page[3] < len) len = page[3];
  const unsigned char* s = page + 4;
  while (len > 0 && *s == ' ') s++, len--;
  while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\0')) len--;
  escape_into(out, size, s, len);
}

// The escaped serial of `dev`: virtio-blk's from sysfs, a SCSI disk's from its VPD page.
static void disk_serial(const char* dev, char* serial, size_t size) {
  char path[128], buf[64];
  snprintf(path, sizeof path, "/sys/block/%s/serial", dev);
  if (read_text(path, buf, sizeof buf)) escape_into(serial, size, (unsigned char*)buf, strlen(buf));
  else scsi_serial(dev, serial, size);
}

// The escaped content of the first of `candidates` that exists under `dir`, or NULL.
static char* read_seed_file(const char* dir, const char* const* candidates) {
  for (int i = 0; candidates[i]; i++) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, candidates[i]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    unsigned char content[kSeedFileMax];
    ssize_t n = read(fd, content, sizeof content);
    close(fd);
    char* escaped = malloc(kLineMax);
    if (escaped) escape_into(escaped, kLineMax, content, n > 0 ? (size_t)n : 0);
    return escaped;
  }
  return NULL;
}

// Appends the regular files below `rel` (relative to `root`, sorted per directory) to `files`.
static void list_files(const char* root, const char* rel, char* files, size_t size) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
  char* names[kMaxNames];
  int n = list_dir(dir, names, kMaxNames);
  for (int i = 0; i < n; i++) {
    char child[512], path[1024];
    snprintf(child, sizeof child, "%s%s%s", rel, rel[0] ? "/" : "", names[i]);
    snprintf(path, sizeof path, "%s/%s", root, child);
    struct stat st;
    if (lstat(path, &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) list_files(root, child, files, size);
    else list_append(files, size, child);
  }
  free_names(names, n);
}

// Mounts `source` read-only at `root`/`name` (into dir) for a short look; false with *error
// and errno set when it cannot. unmount_briefly() undoes it.
static bool mount_briefly(const char* source, const char* fstype, const char* root, const char* name, char* dir,
                          size_t size, char** error) {
  snprintf(dir, size, "%s/%s", root, name);
  mkdir(root, 0755);
  mkdir(dir, 0755);
  if (mount(source, dir, fstype, MS_RDONLY | MS_NODEV | MS_NOSUID, NULL) == 0) return true;
  int mount_errno = errno;
  if (asprintf(error, "mount failed: %s", strerror(mount_errno)) < 0) *error = NULL;
  rmdir(dir);
  errno = mount_errno;
  return false;
}

static void unmount_briefly(const char* dir) {
  umount2(dir, MNT_DETACH);
  rmdir(dir);
}

// The regular files below `dir`, comma-separated (malloc'ed).
static char* files_below(const char* dir) {
  static char files[kLineMax];
  files[0] = '\0';
  list_files(dir, "", files, sizeof files);
  return strdup(files);
}

// Reads the seed image on `d` through a short-lived read-only mount: a mount would lock a
// CD-ROM's tray and stop the host from changing the medium.
static void read_seed(struct Disk* d) {
  char dir[128], src[64];
  snprintf(src, sizeof src, "/dev/%s", d->dev);
  if (!mount_briefly(src, "iso9660", kSeedRoot, d->dev, dir, sizeof dir, &d->mount_error)) return;
  d->files = files_below(dir);
  static const char* const user_data[] = {"user-data", "openstack/latest/user_data", NULL};
  static const char* const meta_data[] = {"meta-data", "openstack/latest/meta_data.json", NULL};
  d->user_data = read_seed_file(dir, user_data);
  d->meta_data = read_seed_file(dir, meta_data);
  unmount_briefly(dir);
}

// Forgets what was read from the disk's previous medium.
static void forget_medium(struct Disk* d) {
  free(d->mount_error);
  free(d->files);
  free(d->user_data);
  free(d->meta_data);
  d->mount_error = d->files = d->user_data = d->meta_data = NULL;
  d->label[0] = '\0';
}

static struct Disk* find_disk(const char* dev) {
  for (int i = 0; i < disk_count; i++)
    if (strcmp(disks[i].dev, dev) == 0) return &disks[i];
  if (disk_count == kMaxNames) return NULL;
  struct Disk* d = &disks[disk_count++];
  memset(d, 0, sizeof *d);
  snprintf(d->dev, sizeof d->dev, "%s", dev);
  d->size = -1;
  return d;
}

static void report_seed(const struct Disk* d) {
  char key[96];
  snprintf(key, sizeof key, "seed.%s", d->dev);
  if (d->mount_error) {
    fact(key, "label=%s error=%s", d->label, d->mount_error);
    return;
  }
  fact(key, "label=%s files=%s", d->label, d->files ? d->files : "");
  snprintf(key, sizeof key, "seed.%s.user-data", d->dev);
  if (d->user_data) fact(key, "%s", d->user_data);
  snprintf(key, sizeof key, "seed.%s.meta-data", d->dev);
  if (d->meta_data) fact(key, "%s", d->meta_data);
}

static bool is_virtual(const char* dev) {
  return strncmp(dev, "loop", 4) == 0 || strncmp(dev, "ram", 3) == 0 || strncmp(dev, "zram", 4) == 0;
}

static void scan_block(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/block", names, kMaxNames);
  char list[4096] = "";
  for (int i = 0; i < disk_count; i++) disks[i].seen = false;
  for (int i = 0; i < n; i++) {
    const char* dev = names[i];
    if (is_virtual(dev)) continue;
    struct Disk* d = find_disk(dev);
    if (!d) continue;
    d->seen = true;
    char path[128], buf[64], serial[256] = "", ro[8] = "0", removable[8] = "0";
    snprintf(path, sizeof path, "/sys/block/%s/removable", dev);
    read_text(path, removable, sizeof removable);
    // A removable device is probed on every scan (the descriptor is in the page cache until
    // the medium changes); a fixed one when its size changes.
    char label[sizeof d->label] = "";
    unsigned long hash = d->pvd_hash;
    bool is_removable = strcmp(removable, "1") == 0;
    if (is_removable) hash = iso_probe(dev, label, sizeof label);
    snprintf(path, sizeof path, "/sys/block/%s/size", dev);
    if (!read_text(path, buf, sizeof buf)) continue;
    long long size = atoll(buf) * 512;
    if (!is_removable && size != d->size) hash = size > 0 ? iso_probe(dev, label, sizeof label) : 0;
    if (size != d->size || hash != d->pvd_hash || d->media_changed) {
      d->media_changed = false;
      forget_medium(d);
      d->size = size;
      d->pvd_hash = hash;
      if (hash) {
        snprintf(d->label, sizeof d->label, "%s", label);
        read_seed(d);
      }
    }
    disk_serial(dev, serial, sizeof serial);
    snprintf(path, sizeof path, "/sys/block/%s/ro", dev);
    read_text(path, ro, sizeof ro);
    char key[96];
    snprintf(key, sizeof key, "block.%s", dev);
    if (d->pvd_hash) {
      fact(key, "size=%lld serial=%s ro=%s fs=iso9660 label=%s", size, serial, ro, d->label);
      report_seed(d);
    } else {
      fact(key, "size=%lld serial=%s ro=%s", size, serial, ro);
    }
    list_append(list, sizeof list, dev);
  }
  for (int i = disk_count - 1; i >= 0; i--) {
    if (disks[i].seen) continue;
    forget_medium(&disks[i]);
    disks[i] = disks[--disk_count];
  }
  free_names(names, n);
  fact("blocks", "%s", list);
}

// ---------------------------------------------------------------------------------------------
// Network interfaces: brought up once so that the link state (carrier) is visible.

static char nets_up[kMaxNames][IFNAMSIZ];
static int nets_up_count;

static void bring_up(const char* name) {
  for (int i = 0; i < nets_up_count; i++)
    if (strcmp(nets_up[i], name) == 0) return;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) == 0 && nets_up_count < kMaxNames)
      snprintf(nets_up[nets_up_count++], IFNAMSIZ, "%s", name);
  }
  close(s);
}

static void scan_net(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/class/net", names, kMaxNames);
  char list[4096] = "";
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i], "lo") == 0) continue;
    bring_up(names[i]);
    char path[128], mac[64] = "", carrier[8] = "";
    snprintf(path, sizeof path, "/sys/class/net/%s/address", names[i]);
    read_text(path, mac, sizeof mac);
    snprintf(path, sizeof path, "/sys/class/net/%s/carrier", names[i]);
    read_text(path, carrier, sizeof carrier);
    char key[96];
    snprintf(key, sizeof key, "net.%s", names[i]);
    fact(key, "mac=%s link=%s", mac, strcmp(carrier, "1") == 0 ? "up" : "down");
    list_append(list, sizeof list, names[i]);
  }
  free_names(names, n);
  fact("nets", "%s", list);
}

// ---------------------------------------------------------------------------------------------
// Virtio ports, vsock, and the virtio device inventory.

static void scan_ports(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/class/virtio-ports", names, kMaxNames);
  char* shown[kMaxNames];
  for (int i = 0; i < n; i++) {
    char path[128], name[128] = "";
    snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", names[i]);
    read_text(path, name, sizeof name);
    shown[i] = strdup(name[0] ? name : names[i]);
  }
  free_names(names, n);
  fact_sorted_list("ports", shown, n);
}

static void scan_vsock(void) {
  int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
  unsigned int cid = VMADDR_CID_ANY;
  if (fd >= 0) {
    if (ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) != 0) cid = VMADDR_CID_ANY;
    close(fd);
  }
  if (cid == VMADDR_CID_ANY) fact("vsock.cid", "%s", "");
  else fact("vsock.cid", "%u", cid);
}

static const char* virtio_kind(unsigned id) {
  switch (id) {
    case 1: return "net";
    case 2: return "block";
    case 3: return "console";
    case 4: return "rng";
    case 5: return "balloon";
    case 8: return "scsi";
    case 9: return "9p";
    case 18: return "input";
    case 19: return "vsock";
    case 24: return "mem";
    case 26: return "fs";
    case 27: return "pmem";
    default: return NULL;
  }
}

static void scan_virtio(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/bus/virtio/devices", names, kMaxNames);
  char* kinds[kMaxNames];
  int k = 0;
  for (int i = 0; i < n; i++) {
    char path[128], id[32];
    snprintf(path, sizeof path, "/sys/bus/virtio/devices/%s/device", names[i]);
    if (!read_text(path, id, sizeof id)) continue;
    unsigned num = (unsigned)strtoul(id, NULL, 0);
    const char* kind = virtio_kind(num);
    char other[32];
    snprintf(other, sizeof other, "id%u", num);
    kinds[k++] = strdup(kind ? kind : other);
  }
  free_names(names, n);
  fact_sorted_list("virtio", kinds, k);
}

// ---------------------------------------------------------------------------------------------
// PCI functions by vendor:device, so that a passed-through host device (vfio-pci), which has
// no virtio kind, shows up by its IDs.

static void scan_pci(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/bus/pci/devices", names, kMaxNames);
  char* items[kMaxNames];
  int k = 0;
  for (int i = 0; i < n; i++) {
    char path[128], vendor[16], device[16];
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/vendor", names[i]);
    if (!read_text(path, vendor, sizeof vendor)) continue;
    snprintf(path, sizeof path, "/sys/bus/pci/devices/%s/device", names[i]);
    if (!read_text(path, device, sizeof device)) continue;
    if (asprintf(&items[k], "%04lx:%04lx@%s", strtoul(vendor, NULL, 16), strtoul(device, NULL, 16), names[i]) >= 0) k++;
  }
  free_names(names, n);
  fact_sorted_list("pci", items, k);
}

// ---------------------------------------------------------------------------------------------
// virtio-fs shares. Linux 6.1 shows a share's tag nowhere in sysfs, so it is read from the
// device's config space through the virtio PCI configuration access capability (a window in
// PCI config space): mapping the BAR instead is refused, virtio-pci holds it busy and Debian
// sets CONFIG_IO_STRICT_DEVMEM. A share is read once, through a short-lived mount, when it
// appears; a share whose daemon does not answer would stall the reporter there.

enum {
  kPciCapPointer = 0x34,
  kPciCapVendor = 0x09,
  kVirtioPciCapDeviceCfg = 4,
  kVirtioPciCapPciCfg = 5,
  kVirtioFsTagMax = 36,
  kShareMountAttempts = 100,
  kShareMountRetryMs = 20,
};

struct Share {
  char dev[32];                        // virtioN
  char name[kVirtioFsTagMax * 4 + 1];  // the escaped tag, or dev when it cannot be read
  char* error;                         // why it could not be read, or NULL
  char* files;                         // the regular files, comma-separated
  char* probe;                         // escaped content of `probe` at the share's root, or NULL
  bool seen;
};

static struct Share shares[kMaxNames];
static int share_count;

static uint32_t le32(const unsigned char* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static bool put_le32(int fd, uint32_t value, off_t at) {
  unsigned char b[4] = {(unsigned char)value, (unsigned char)(value >> 8), (unsigned char)(value >> 16),
                        (unsigned char)(value >> 24)};
  return pwrite(fd, b, sizeof b, at) == (ssize_t)sizeof b;
}

// Reads the tag of virtio-fs device `dev` (NUL-terminated into tag[kVirtioFsTagMax + 1]):
// false on the mmio transport (no PCI config space) or if the capabilities are not there.
static bool read_fs_tag(const char* dev, char* tag) {
  char path[128];
  snprintf(path, sizeof path, "/sys/bus/virtio/devices/%s/../config", dev);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char cfg[256];
  bool ok = pread(fd, cfg, sizeof cfg, 0) == (ssize_t)sizeof cfg;
  int bar = -1;
  uint32_t offset = 0;
  int window = 0;
  // The capability list is at most 48 entries long in 256 bytes; the bound stops a loop.
  for (int pos = cfg[kPciCapPointer] & 0xfc, hops = 0; ok && pos && pos + 20 <= (int)sizeof cfg && hops < 48;
       pos = cfg[pos + 1] & 0xfc, hops++) {
    if (cfg[pos] != kPciCapVendor) continue;
    if (cfg[pos + 3] == kVirtioPciCapDeviceCfg) {
      bar = cfg[pos + 4];
      offset = le32(cfg + pos + 8);
    }
    if (cfg[pos + 3] == kVirtioPciCapPciCfg) window = pos;
  }
  ok = ok && bar >= 0 && window;
  // The window: bar at +4, offset at +8, length at +12; reading the data at +16 makes the
  // device copy `length` bytes of that BAR there.
  unsigned char raw[kVirtioFsTagMax];
  unsigned char bar_byte = (unsigned char)bar;
  for (int i = 0; ok && i < kVirtioFsTagMax; i += 4) {
    ok = pwrite(fd, &bar_byte, 1, window + 4) == 1 && put_le32(fd, offset + (uint32_t)i, window + 8) &&
         put_le32(fd, 4, window + 12) && pread(fd, raw + i, 4, window + 16) == 4;
  }
  close(fd);
  if (!ok) return false;
  memcpy(tag, raw, kVirtioFsTagMax);
  tag[kVirtioFsTagMax] = '\0';
  return tag[0] != '\0';
}

// The driver link appears in sysfs before probe runs, and virtio-fs registers the tag at the
// end of probe: until then mounting the tag fails with EINVAL, so that error is retried.
static void read_share(struct Share* s, const char* tag) {
  char dir[128];
  bool mounted = false;
  for (int attempt = 0; !mounted && attempt < kShareMountAttempts; attempt++) {
    free(s->error);
    s->error = NULL;
    mounted = mount_briefly(tag, "virtiofs", kShareRoot, s->dev, dir, sizeof dir, &s->error);
    if (!mounted && errno != EINVAL) break;
    if (!mounted) nanosleep(&(struct timespec){.tv_nsec = kShareMountRetryMs * 1000000L}, NULL);
  }
  if (!mounted) return;
  s->files = files_below(dir);
  static const char* const probe[] = {"probe", NULL};
  s->probe = read_seed_file(dir, probe);
  unmount_briefly(dir);
}

static struct Share* new_share(const char* dev) {
  if (share_count == kMaxNames) return NULL;
  struct Share* s = &shares[share_count++];
  memset(s, 0, sizeof *s);
  snprintf(s->dev, sizeof s->dev, "%s", dev);
  char tag[kVirtioFsTagMax + 1];
  if (!read_fs_tag(dev, tag)) {
    snprintf(s->name, sizeof s->name, "%s", dev);
    s->error = strdup("cannot read the tag");
    return s;
  }
  escape_into(s->name, sizeof s->name, (const unsigned char*)tag, strlen(tag));
  read_share(s, tag);
  return s;
}

static bool is_virtio_fs(const char* dev) {
  char path[128], id[32];
  snprintf(path, sizeof path, "/sys/bus/virtio/devices/%s/device", dev);
  if (!read_text(path, id, sizeof id)) return false;
  const char* kind = virtio_kind((unsigned)strtoul(id, NULL, 0));
  return kind && strcmp(kind, "fs") == 0;
}

// A share can be mounted once its driver is bound: the driver registers the tag in probe.
static bool driver_bound(const char* dev) {
  char path[128];
  snprintf(path, sizeof path, "/sys/bus/virtio/devices/%s/driver", dev);
  return access(path, F_OK) == 0;
}

static void scan_shares(void) {
  char* names[kMaxNames];
  int n = list_dir("/sys/bus/virtio/devices", names, kMaxNames);
  for (int i = 0; i < share_count; i++) shares[i].seen = false;
  for (int i = 0; i < n; i++) {
    if (!is_virtio_fs(names[i]) || !driver_bound(names[i])) continue;
    struct Share* s = NULL;
    for (int j = 0; j < share_count && !s; j++)
      if (strcmp(shares[j].dev, names[i]) == 0) s = &shares[j];
    if (!s) s = new_share(names[i]);
    if (s) s->seen = true;
  }
  free_names(names, n);
  for (int i = share_count - 1; i >= 0; i--) {
    if (shares[i].seen) continue;
    free(shares[i].error);
    free(shares[i].files);
    free(shares[i].probe);
    shares[i] = shares[--share_count];
  }
  char* shown[kMaxNames];
  for (int i = 0; i < share_count; i++) {
    char key[256];
    snprintf(key, sizeof key, "virtiofs.%s", shares[i].name);
    if (shares[i].error) fact(key, "error=%s", shares[i].error);
    else fact(key, "files=%s", shares[i].files ? shares[i].files : "");
    snprintf(key, sizeof key, "virtiofs.%s.probe", shares[i].name);
    if (shares[i].probe) fact(key, "%s", shares[i].probe);
    shown[i] = strdup(shares[i].name);
  }
  fact_sorted_list("virtiofs", shown, share_count);
}

// ---------------------------------------------------------------------------------------------
// Commands: tests write and read data patterns on a disk through the virtio-serial port
// `vmforge.cmd` (guest/README.md, "Commands"); each answer is one report line `io.<tag>=...`.
// A command runs to completion before the reporter scans again.

static const char kCmdPort[] = "vmforge.cmd";
static int cmd_fd = -1;
static char cmd_line[kCmdLineMax];
static size_t cmd_len;

static void answer(const char* tag, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void answer(const char* tag, const char* fmt, ...) {
  char text[512], escaped_tag[4 * kCmdLineMax + 1];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  escape_into(escaped_tag, sizeof escaped_tag, (const unsigned char*)tag, strlen(tag));
  char line[sizeof text + sizeof escaped_tag + 8];
  snprintf(line, sizeof line, "io.%s=%s", escaped_tag, text);
  emit_line(line);
}

// The block device whose (escaped) serial is `serial`, as "/dev/vdX"; false if none.
static bool disk_by_serial(const char* serial, char* path, size_t size) {
  char* names[kMaxNames];
  int n = list_dir("/sys/block", names, kMaxNames);
  bool found = false;
  for (int i = 0; i < n && !found; i++) {
    char s[256] = "";
    disk_serial(names[i], s, sizeof s);
    if (strcmp(s, serial) == 0) {
      snprintf(path, size, "/dev/%s", names[i]);
      found = true;
    }
  }
  free_names(names, n);
  return found;
}

static bool is_word(const char* w) {
  size_t len = strlen(w);
  if (len == 0 || len > kWordMax) return false;
  for (const char* c = w; *c; c++)
    if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("._-", *c)))
      return false;
  return true;
}

// A data block: `word` and a newline, repeated (the last one cut at the block's end).
static void fill_block(unsigned char* block, const char* word) {
  size_t unit = strlen(word) + 1;
  for (size_t i = 0; i < kIoBlock; i++) block[i] = i % unit == unit - 1 ? '\n' : (unsigned char)word[i % unit];
}

// The word a block was filled with, into word (kWordMax + 1 bytes); false if it holds none.
static bool block_word(const unsigned char* block, char* word) {
  const unsigned char* nl = memchr(block, '\n', kWordMax + 1);
  if (!nl || nl == block) return false;
  size_t len = (size_t)(nl - block);
  memcpy(word, block, len);
  word[len] = '\0';
  if (!is_word(word)) return false;
  for (size_t i = len + 1; i < kIoBlock; i++)
    if (block[i] != block[i % (len + 1)]) return false;
  return true;
}

static uint64_t fnv1a(uint64_t hash, const unsigned char* data, size_t len) {
  for (size_t i = 0; i < len; i++) hash = (hash ^ data[i]) * 0x100000001b3ULL;
  return hash;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static bool parse_count(const char* text, unsigned long long max, unsigned long long* out) {
  if (!text || !*text) return false;
  char* end = NULL;
  errno = 0;
  unsigned long long v = strtoull(text, &end, 10);
  if (errno || *end || text[0] == '-' || v > max) return false;
  *out = v;
  return true;
}

// `write SERIAL OFFSET WORD BLOCKS` and `read SERIAL OFFSET BLOCKS`: one O_DIRECT request per
// 4 KiB block (so I/O limits count them), a write flushed with fdatasync.
static void run_io(const char* tag, bool write, char** args, int argc) {
  const char* serial = args[0];
  const char* word = write ? args[2] : NULL;
  unsigned long long offset, blocks;
  if (argc != (write ? 4 : 3) || !parse_count(args[1], 1ULL << 50, &offset) || offset % kIoBlock ||
      !parse_count(args[write ? 3 : 2], kMaxBlocks, &blocks) || blocks == 0 || (write && !is_word(word))) {
    answer(tag,
           "error usage: write SERIAL OFFSET WORD BLOCKS | read SERIAL OFFSET BLOCKS "
           "(OFFSET a multiple of 4096, 1-%d blocks, WORD of [A-Za-z0-9._-], at most %d)",
           kMaxBlocks, kWordMax);
    return;
  }
  char path[64];
  if (!disk_by_serial(serial, path, sizeof path)) {
    answer(tag, "error no disk with serial %s", serial);
    return;
  }
  int fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
  if (fd < 0) {
    answer(tag, "error open %s: %s", path, strerror(errno));
    return;
  }
  unsigned char* block = NULL;
  if (posix_memalign((void**)&block, kIoBlock, kIoBlock) != 0) {
    close(fd);
    answer(tag, "error out of memory");
    return;
  }
  if (write) fill_block(block, word);
  uint64_t sum = 0xcbf29ce484222325ULL;
  char found[kWordMax + 1] = "", first[kWordMax + 1] = "";
  bool same = true;
  const char* failed = NULL;
  int err = 0;
  long long start = now_ms();
  for (unsigned long long i = 0; i < blocks && !failed; i++) {
    off_t at = (off_t)(offset + i * kIoBlock);
    ssize_t n = write ? pwrite(fd, block, kIoBlock, at) : pread(fd, block, kIoBlock, at);
    if (n != kIoBlock) {
      err = n < 0 ? errno : EIO;
      failed = write ? "write" : "read";
      break;
    }
    sum = fnv1a(sum, block, kIoBlock);
    if (write) continue;
    if (!block_word(block, found)) same = false;
    if (i == 0) memcpy(first, found, sizeof first);
    else if (strcmp(first, found) != 0) same = false;
  }
  if (!failed && write && fdatasync(fd) != 0) err = errno, failed = "fdatasync";
  long long ms = now_ms() - start;
  free(block);
  close(fd);
  if (failed) answer(tag, "error %s %s at offset %llu: %s", failed, path, offset, strerror(err));
  else if (write)
    answer(tag, "ok dev=%s blocks=%llu ms=%lld sum=%016llx", path + 5, blocks, ms, (unsigned long long)sum);
  else
    answer(tag, "ok dev=%s blocks=%llu ms=%lld sum=%016llx pattern=%s", path + 5, blocks, ms, (unsigned long long)sum,
           same && first[0] ? first : ":mixed");
}

// One command line: `TAG VERB ARGS...`.
static void run_command(char* line) {
  char* args[8];
  int argc = 0;
  for (char* tok = strtok(line, " \t\r"); tok && argc < 8; tok = strtok(NULL, " \t\r")) args[argc++] = tok;
  if (argc == 0) return;
  if (argc >= 2 && strcmp(args[1], "write") == 0) run_io(args[0], true, args + 2, argc - 2);
  else if (argc >= 2 && strcmp(args[1], "read") == 0) run_io(args[0], false, args + 2, argc - 2);
  else answer(args[0], "error unknown command (write, read)");
}

// Opens the port once it exists; reads what arrived and runs each complete line. Returns the
// fd to poll: none while no host end is connected (the port would then always be readable,
// returning end of file) or when there is no port; it is tried again on the next tick.
static int serve_commands(void) {
  if (cmd_fd < 0) {
    char* names[kMaxNames];
    int n = list_dir("/sys/class/virtio-ports", names, kMaxNames);
    for (int i = 0; i < n && cmd_fd < 0; i++) {
      char path[128], name[128] = "";
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", names[i]);
      read_text(path, name, sizeof name);
      snprintf(path, sizeof path, "/dev/%s", names[i]);
      if (strcmp(name, kCmdPort) == 0) cmd_fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    }
    free_names(names, n);
    if (cmd_fd < 0) return -1;
  }
  for (;;) {
    ssize_t n = read(cmd_fd, cmd_line + cmd_len, sizeof cmd_line - 1 - cmd_len);
    if (n == 0) return -1;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return cmd_fd;
    if (n < 0) {  // the port was unplugged
      close(cmd_fd);
      cmd_fd = -1;
      cmd_len = 0;
      return -1;
    }
    cmd_len += (size_t)n;
    char* nl;
    while ((nl = memchr(cmd_line, '\n', cmd_len))) {
      *nl = '\0';
      run_command(cmd_line);
      size_t used = (size_t)(nl + 1 - cmd_line);
      memmove(cmd_line, nl + 1, cmd_len - used);
      cmd_len -= used;
    }
    if (cmd_len == sizeof cmd_line - 1) cmd_len = 0;  // a line too long: dropped
  }
}

static struct utsname uts;

static void scan(void) {
  fact("kernel", "%s", uts.release);
  scan_cpus();
  scan_memory();
  scan_block();
  scan_net();
  scan_ports();
  scan_vsock();
  scan_virtio();
  scan_pci();
  scan_shares();
  publish();
}

// ---------------------------------------------------------------------------------------------
// Power button: every evdev node is watched for KEY_POWER.

// fds[0]: uevents, fds[1]: the command port, then the input devices.
static struct pollfd fds[2 + kMaxInputs];
static char input_names[kMaxInputs][32];
static int input_count;

static void open_inputs(void) {
  char* names[kMaxNames];
  int n = list_dir("/dev/input", names, kMaxNames);
  for (int i = 0; i < n && input_count < kMaxInputs; i++) {
    if (strncmp(names[i], "event", 5) != 0) continue;
    bool known = false;
    for (int j = 0; j < input_count; j++) known = known || strcmp(input_names[j], names[i]) == 0;
    if (known) continue;
    char path[64];
    snprintf(path, sizeof path, "/dev/input/%s", names[i]);
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) continue;
    snprintf(input_names[input_count], sizeof input_names[0], "%s", names[i]);
    fds[2 + input_count].fd = fd;
    fds[2 + input_count].events = POLLIN;
    input_count++;
  }
  free_names(names, n);
}

static bool power_pressed(int fd) {
  struct input_event ev[16];
  ssize_t n;
  bool pressed = false;
  while ((n = read(fd, ev, sizeof ev)) > 0)
    for (size_t i = 0; i < (size_t)n / sizeof ev[0]; i++)
      pressed = pressed || (ev[i].type == EV_KEY && ev[i].code == KEY_POWER && ev[i].value == 1);
  return pressed;
}

static void power_off(void) {
  emit_line("poweroff");
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

// ---------------------------------------------------------------------------------------------

static int open_uevents(void) {
  int s = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
  if (s < 0) return -1;
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_pid = 0, .nl_groups = 1};
  if (bind(s, (struct sockaddr*)&addr, sizeof addr) != 0) {
    close(s);
    return -1;
  }
  return s;
}

// Reads the pending uevents. A new medium of the same size and volume descriptor (seed images
// with fixed timestamps) is only told apart by the kernel's DISK_MEDIA_CHANGE event.
static void drain_uevents(int fd) {
  char buf[8192];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf - 1, 0)) > 0) {
    buf[n] = '\0';
    bool media_change = false;
    const char* devname = NULL;
    for (const char* field = buf; field < buf + n; field += strlen(field) + 1) {
      if (strcmp(field, "DISK_MEDIA_CHANGE=1") == 0) media_change = true;
      if (strncmp(field, "DEVNAME=", 8) == 0) devname = field + 8;
    }
    if (!media_change || !devname) continue;
    for (int i = 0; i < disk_count; i++)
      if (strcmp(disks[i].dev, devname) == 0) disks[i].media_changed = true;
  }
}

static bool cmdline_has(const char* word) {
  char cmdline[4096];
  if (!read_text("/proc/cmdline", cmdline, sizeof cmdline)) return false;
  for (char* tok = strtok(cmdline, " "); tok; tok = strtok(NULL, " "))
    if (strcmp(tok, word) == 0) return true;
  return false;
}

int main(void) {
  out_fd = open("/dev/ttyS0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (out_fd < 0) out_fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
  if (out_fd < 0) out_fd = 2;
  // Kernel messages would break report lines in the middle; keep only emergencies.
  if (!cmdline_has("vmforge.verbose")) klogctl(kSyslogActionConsoleLevel, NULL, 1);

  fds[0].fd = open_uevents();
  fds[0].events = POLLIN;
  open_inputs();

  uname(&uts);
  scan();
  struct timespec now;
  clock_gettime(CLOCK_BOOTTIME, &now);
  char line[64];
  snprintf(line, sizeof line, "uptime_ms=%lld", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
  emit_line(line);
  emit_line("ready");

  fds[1].events = POLLIN;
  for (;;) {
    fds[1].fd = serve_commands();
    int r = poll(fds, (nfds_t)(2 + input_count), kTickMs);
    if (r < 0 && errno != EINTR) r = 0;
    for (int i = 2; r > 0 && i < 2 + input_count; i++)
      if ((fds[i].revents & POLLIN) && power_pressed(fds[i].fd)) power_off();
    if (r > 0 && fds[0].fd >= 0 && (fds[0].revents & POLLIN)) {
      drain_uevents(fds[0].fd);
      open_inputs();
    }
    scan();
  }
}
