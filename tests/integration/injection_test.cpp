// Acceptance 4: a value with ',', '=', '"', '\'', spaces (and, in a second run, a newline) in
// every string field of the manifest either reaches QEMU as exactly that value, read back over
// QMP (qom-get, query-*) or from what QEMU did with it (the file it created, the command it
// ran), or is refused with a diagnostic. Never an extra option.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "compiler/lower/lower.hpp"
#include "compiler/plan/plan.hpp"
#include "compiler/validate/load_and_validate.hpp"
#include "tests/integration/example_stage.hpp"
#include "tests/integration/plan_vm.hpp"
#include "tests/support/disk_image.hpp"
#include "tests/support/guest.hpp"
#include "tests/support/source_tree.hpp"

namespace fs = std::filesystem;
using namespace vmforge;
using namespace vmforge::test;

namespace {

constexpr std::string_view kHostile = "a,b=c \"d\" 'e' f";

/// What one case puts at @P@ (a path in the test's directory ending in "p-<hostile value>").
enum class Make { nothing, directory, file, image, fifo, script, kernel_link, initrd_link, bios_link, qemu_link };

struct Probe {
  PlanVm& vm;
  std::string value;  // what the manifest field holds
  std::string path;   // @P@
  std::string dir;
};

using Check = std::function<std::string(Probe&)>;  // "" when QEMU has exactly the value

struct Case {
  Case(std::string_view f, std::string_view t, Make m, Check c, Check after = nullptr, std::string_view p = {})
      : field(f), toml(t), make(m), prefix(p), check(std::move(c)), after_quit(std::move(after)) {}

  std::string_view field;
  std::string_view toml;  // manifest text after the common head; @V@ = value, @P@ = path
  Make make = Make::nothing;
  /// What the argv puts before the value ("exec:" for -incoming), if anything.
  std::string_view prefix;
  /// Checked while QEMU runs; null: QEMU cannot run here (the field needs a host resource),
  /// so the argv is checked to carry the value whole.
  Check check;
  /// Checked after QEMU quit (e.g. a downscript ran).
  Check after_quit;
  /// The lowering refuses the field whatever its value (QEMU cannot take it at all).
  bool lowering_refuses = false;
};

Case refused_by_lowering(std::string_view field, std::string_view toml, Make make) {
  Case c(field, toml, make, nullptr);
  c.lowering_refuses = true;
  return c;
}

std::string toml_escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Every string QEMU gets from the plan: the program, whole verbatim arguments, the string leaves of JSON
// arguments, and the values of key=value arguments as QEMU splits them (",," is a comma).
std::vector<std::string> argv_strings(const Plan& plan) {
  std::vector<std::string> out{plan.qemu_binary};
  std::function<void(const JsonValue&)> leaves = [&](const JsonValue& v) {
    if (auto s = v.as_string()) out.emplace_back(*s);
    if (auto* a = v.as_array())
      for (const auto& e : *a) leaves(e);
    if (auto* o = v.as_object())
      for (const auto& m : *o) leaves(m.value);
  };
  for (const auto& arg : plan.argv) {
    out.push_back(arg);
    if (auto json = parse_json(arg); json && json->is_object()) leaves(*json);
    for (const auto& [key, value] : split_option(arg)) out.push_back(value);
  }
  for (const auto& step : plan.steps) {
    if (auto json = parse_json(step.call.arguments)) leaves(*json);
  }
  return out;
}

bool argv_carries(const Plan& plan, const std::string& whole) {
  for (const auto& s : argv_strings(plan)) {
    if (s == whole) return true;
  }
  return false;
}

std::string expect_qom(Probe& p, const std::string& path, std::string_view property, const std::string& want) {
  auto got = qom_get(p.vm.qmp, path, property);
  if (!got) return fmt::format("qom-get {} {}: {}", path, property, got.error().message);
  if (got->as_string() != want) return fmt::format("{} {} is {}, not '{}'", path, property, got->to_json(), want);
  return "";
}

Check qom(std::string path, std::string property, bool want_path) {
  return [=](Probe& p) { return expect_qom(p, path, property, want_path ? p.path : p.value); };
}

// The file QEMU holds for "/dev/fdset/N": its fds in that set, read back from /proc (the fd is
// what QEMU reads, whatever the opaque says).
std::string fdset_file(Probe& p, std::string_view name) {
  auto sets = p.vm.qmp.execute("query-fdsets");
  if (!sets || !sets->as_array()) return "query-fdsets failed";
  for (const auto& set : *sets->as_array()) {
    const JsonValue* fds = set.find("fds");
    if (fmt::format("/dev/fdset/{}", set.get_int64("fdset-id").value_or(-1)) != name || !fds || !fds->as_array())
      continue;
    for (const auto& fd : *fds->as_array()) {
      std::error_code ec;
      auto target =
          fs::read_symlink(fmt::format("/proc/{}/fd/{}", p.vm.qemu.pid(), fd.get_int64("fd").value_or(-1)), ec);
      if (!ec) return target.string();
    }
  }
  return fmt::format("no fd set behind '{}'", name);
}

Check node_file(std::string node) {
  return [=](Probe& p) -> std::string {
    auto nodes = p.vm.qmp.execute("query-named-block-nodes", R"({"flat":true})");
    if (nodes && nodes->as_array()) {
      for (const auto& n : *nodes->as_array()) {
        if (n.get_string("node-name") != node) continue;
        const std::string file(n.get_string("file").value_or(""));
        const std::string held = file.starts_with("/dev/fdset/") ? fdset_file(p, file) : file;
        return held == p.path ? "" : fmt::format("node '{}' reads '{}' ('{}')", node, file, held);
      }
    }
    return fmt::format("no block node '{}'", node);
  };
}

Check chardev_socket(std::string label) {
  return [=](Probe& p) -> std::string {
    auto list = p.vm.qmp.execute("query-chardev");
    if (list && list->as_array()) {
      for (const auto& c : *list->as_array()) {
        if (c.get_string("label") != label) continue;
        std::string filename(c.get_string("filename").value_or(""));
        return filename.find("unix:" + p.path + ",") != std::string::npos ? "" : "chardev is '" + filename + "'";
      }
    }
    return fmt::format("no chardev '{}'", label);
  };
}

Check file_exists(std::string suffix) {
  return [=](Probe& p) {
    return fs::exists(p.path + suffix) ? "" : fmt::format("'{}{}' was not created", p.path, suffix);
  };
}

// QEMU refuses a missing file or directory at startup, so starting proves it found exactly @P@.
Check started() {
  return [](Probe&) { return std::string(); };
}

const std::vector<Case>& cases() {
  static const std::vector<Case> list = {
      {"machine.options value", "[machine.options]\ndt-compatible = \"@V@\"\n", Make::nothing,
       qom("/machine", "dt-compatible", false)},
      {"memory.path", "[memory]\nsize = \"256M\"\nbackend = \"file\"\npath = \"@P@\"\n", Make::directory,
       qom("/objects/vmforge-ram", "mem-path", true)},
      {"kernel.path", "[kernel]\npath = \"@P@\"\n", Make::kernel_link, qom("/machine", "kernel", true)},
      {"kernel.initrd", "[kernel]\npath = \"@KERNEL@\"\ninitrd = \"@P@\"\n", Make::initrd_link,
       qom("/machine", "initrd", true)},
      {"kernel.cmdline", "[kernel]\npath = \"@KERNEL@\"\ncmdline = \"@V@\"\n", Make::nothing,
       qom("/machine", "append", false)},
      {"firmware.bios", "[firmware]\nbios = \"@P@\"\n", Make::bios_link, qom("/machine", "firmware", true)},
      {"firmware.pflash", "[firmware]\npflash = [\"@P@\"]\n", Make::file, node_file("vmforge-pflash0")},
      {"global.value",
       "[[global]]\ndriver = \"virtio-blk-pci\"\nproperty = \"serial\"\nvalue = \"@V@\"\n"
       "[[disk]]\nid = \"d0\"\nfile = \"@DIR@/plain.img\"\n",
       Make::nothing, qom("/machine/peripheral/d0", "serial", false)},
      {"incoming.command", "[incoming]\nmode = \"exec\"\ncommand = \"@V@\"\n", Make::nothing,
       [](Probe& p) -> std::string {
         // The command writes the hostile text to a file: it ran exactly as written.
         const std::string out = p.dir + "/cmd-out";
         for (int i = 0; i < 100 && test::file_text(out).empty(); ++i)
           std::this_thread::sleep_for(std::chrono::milliseconds(50));
         return test::file_text(out) == "a,b=c \"d\" " ? "" : "the exec: command did not run as written";
       },
       nullptr, "exec:"},
      {"incoming.uri", "[incoming]\nmode = \"uri\"\nuri = \"unix:@P@\"\n", Make::nothing,
       [](Probe& p) -> std::string {
         struct stat st {};
         if (::stat(p.path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return "QEMU listens on no socket at @P@";
         return "";
       },
       nullptr, "unix:"},
      {"fw_cfg.name", "[[fw_cfg]]\nname = \"opt/@V@\"\nstring = \"x\"\n", Make::nothing, started(), nullptr, "opt/"},
      {"fw_cfg.file", "[[fw_cfg]]\nname = \"opt/x\"\nfile = \"@P@\"\n", Make::file, started()},
      {"fw_cfg.string", "[[fw_cfg]]\nname = \"opt/x\"\nstring = \"@V@\"\n", Make::nothing, started()},
      {"qmp_socket.path", "[[qmp_socket]]\npath = \"@P@\"\n", Make::nothing, chardev_socket("vmforge-qmp1")},
      {"qemu.binary", "[qemu]\nbinary = \"@P@\"\n", Make::qemu_link,
       [](Probe& p) -> std::string {
         const std::string cmdline = test::file_text(fmt::format("/proc/{}/cmdline", p.vm.qemu.pid()));
         return cmdline.substr(0, cmdline.find('\0')) == p.path
                    ? ""
                    : "QEMU ran as '" + cmdline.substr(0, cmdline.find('\0')) + "'";
       }},
      {"qemu.pidfile", "[qemu]\npidfile = \"@P@\"\n", Make::nothing,
       [](Probe& p) -> std::string {
         return std::strtol(test::file_text(p.path).c_str(), nullptr, 10) == p.vm.qemu.pid() ? "" : "no pid file at @P@";
       }},
      {"qemu.logfile", "[qemu]\nlogfile = \"@P@\"\n", Make::nothing, file_exists("")},
      {"disk.file", "[[disk]]\nid = \"d0\"\nfile = \"@P@\"\n", Make::image, node_file("d0.file")},
      {"disk.serial", "[[disk]]\nid = \"d0\"\nfile = \"@DIR@/plain.img\"\nserial = \"@V@\"\n", Make::nothing,
       qom("/machine/peripheral/d0", "serial", false)},
      {"disk.romfile", "[[disk]]\nid = \"d0\"\nfile = \"@DIR@/plain.img\"\nromfile = \"@P@\"\n", Make::file,
       qom("/machine/peripheral/d0", "romfile", true)},
      {"net.script", "[[net]]\nid = \"n0\"\nbackend = \"tap\"\nifname = \"vmfinj0\"\nscript = \"@P@\"\n", Make::script,
       file_exists(".ran")},
      {"net.downscript", "[[net]]\nid = \"n0\"\nbackend = \"tap\"\nifname = \"vmfinj1\"\ndownscript = \"@P@\"\n",
       Make::script, started(), file_exists(".ran")},
      {"serial.path (file)", "[[serial]]\nid = \"s0\"\nbackend = \"file\"\npath = \"@P@\"\n", Make::nothing,
       file_exists("")},
      {"serial.path (socket)", "[[serial]]\nid = \"s0\"\nbackend = \"socket\"\npath = \"@P@\"\n", Make::nothing,
       chardev_socket("s0.char")},
      {"serial.path (pipe)", "[[serial]]\nid = \"s0\"\nbackend = \"pipe\"\npath = \"@P@\"\n", Make::fifo, started()},
      {"fs_9p.path", "[[fs_9p]]\nid = \"f0\"\npath = \"@P@\"\ntag = \"t\"\n", Make::directory, started()},
      {"fs_9p.tag", "[[fs_9p]]\nid = \"f0\"\npath = \"@DIR@\"\ntag = \"@V@\"\n", Make::nothing,
       qom("/machine/peripheral/f0", "mount_tag", false)},
      {"rng.source", "[[rng]]\nid = \"r0\"\nsource = \"@P@\"\n", Make::file, qom("/objects/r0.rng", "filename", true)},
      // QEMU 7.2 aborts on an option ROM for any bridge.
      refused_by_lowering("pcie_root_port.romfile", "[[pcie_root_port]]\nid = \"rp\"\nchassis = 9\nromfile = \"@P@\"\n",
                          Make::file),
      {"loader.file", "[[loader]]\nid = \"l0\"\nfile = \"@P@\"\naddr = 0x100000\nforce_raw = true\n", Make::file,
       qom("/machine/peripheral/l0", "file", true)},
      {"nvdimm.path",
       "[memory]\nsize = \"256M\"\nmax = \"1G\"\nslots = 2\n[[nvdimm]]\nid = \"nv\"\npath = \"@P@\"\nsize = \"16M\"\n",
       Make::directory, qom("/objects/nv.mem", "mem-path", true)},
      {"dimm.path",
       "[memory]\nsize = \"256M\"\nmax = \"1G\"\nslots = 2\n[[dimm]]\nid = \"dm\"\nsize = \"16M\"\nbackend = \"file\"\n"
       "path = \"@P@\"\n",
       Make::directory, qom("/objects/dm.mem", "mem-path", true)},
      // Host resources this machine lacks (a vhost-user or virtiofsd server, a VFIO device, SEV,
      // a tty): the argv must carry the value whole.
      {"virtio_fs.socket", "@SHARED@[[virtio_fs]]\nid = \"f0\"\nsocket = \"@P@\"\ntag = \"t\"\n", Make::nothing,
       nullptr},
      {"virtio_fs.tag", "@SHARED@[[virtio_fs]]\nid = \"f0\"\nsocket = \"/run/vfs.sock\"\ntag = \"@V@\"\n",
       Make::nothing, nullptr},
      {"vhost_user.socket", "@SHARED@[[vhost_user]]\nid = \"v0\"\ntype = \"blk\"\nsocket = \"@P@\"\n", Make::nothing,
       nullptr},
      {"net.socket", "@SHARED@[[net]]\nid = \"n0\"\nbackend = \"vhost-user\"\nsocket = \"@P@\"\n", Make::nothing,
       nullptr},
      {"vfio.sysfsdev", "[[vfio]]\nid = \"v0\"\nsysfsdev = \"@P@\"\n", Make::nothing, nullptr},
      {"confidential_guest.firmware",
       "[confidential_guest]\ntype = \"sev\"\nfirmware = \"@P@\"\ncbitpos = 47\nreduced_phys_bits = 1\n", Make::nothing,
       nullptr},
      {"serial.path (tty)", "[[serial]]\nid = \"s0\"\nbackend = \"tty\"\npath = \"@P@\"\n", Make::nothing, nullptr},
  };
  return list;
}

// Fields the validator restricts to names (QEMU ids, CPU models, interface names, ...), each
// with a value it accepts, so the refusal is known to be about the hostile text.
struct Refused {
  std::string_view toml;
  std::string_view accepted;
};

constexpr Refused kRefused[] = {
    {"name = \"@V@\"\n", "web"},
    {"uuid = \"@V@\"\n", "4cb19522-1e18-439a-883a-f9b2a3a95f5e"},
    {"[machine]\ntype = \"@V@\"\n", "pc"},
    {"[cpu]\nmodel = \"@V@\"\n", "qemu64"},
    {"[cpu]\nmodel = \"qemu64\"\nfeatures = [\"@V@\"]\n", "+ssse3"},
    {"[rtc]\nbase = \"@V@\"\n", "utc"},
    {"[[global]]\ndriver = \"@V@\"\nproperty = \"p\"\nvalue = \"v\"\n", "d"},
    {"[[global]]\ndriver = \"d\"\nproperty = \"@V@\"\nvalue = \"v\"\n", "p"},
    {"[[net]]\nid = \"n0\"\nbackend = \"tap\"\nifname = \"@V@\"\n", "tap0"},
    {"[[net]]\nid = \"n0\"\nhostfwd = [\"@V@\"]\n", "tcp:127.0.0.1:2222-:22"},
    {"[[serial]]\nid = \"s0\"\nfrontend = \"virtserialport\"\nname = \"@V@\"\n", "org.test.0"},
    {"[[disk]]\nid = \"@V@\"\nfile = \"/d\"\n", "d0"},
};

struct Staged {
  std::string text;
  std::string value;
  std::string path;
};

Result<Staged> stage(const Case& c, const TempDir& dir, std::string_view hostile) {
  VMFORGE_TRY(GuestImage guest, find_guest());
  Staged s;
  // The exec: migration source writes part of the hostile text where the test can read it.
  s.value = c.field == "incoming.command" ? fmt::format("printf %s 'a,b=c \"d\" ' > '{}/cmd-out'", dir.path())
                                          : std::string(hostile);
  s.path = dir.file("p-" + std::string(hostile));
  std::string body = std::string(c.toml);
  body = replace_all(body, "@SHARED@", "[memory]\nsize = \"256M\"\nbackend = \"memfd\"\nshared = true\n");
  body = replace_all(body, "@KERNEL@", toml_escape(guest.kernel));
  body = replace_all(body, "@DIR@", toml_escape(dir.path()));
  body = replace_all(body, "@V@", toml_escape(s.value));
  body = replace_all(body, "@P@", toml_escape(s.path));
  // Root keys come before the first table; a manifest part that sets `name` replaces ours.
  // A manifest part for [machine] goes into our [machine] table.
  const bool sets_name = body.rfind("name =", 0) == 0;
  const bool root_key = body.rfind("[", 0) != 0;
  std::string machine_keys = "type = \"q35\"\n";
  if (body.rfind("[machine]\n", 0) == 0) {
    machine_keys = body.substr(std::string_view("[machine]\n").size());
    body.clear();
  }
  const std::string head_tables = "[machine]\n" + machine_keys + "accel = [\"tcg\"]\n" +
                                  (body.find("[memory]") == std::string::npos ? "[memory]\nsize = \"256M\"\n" : "");
  if (root_key) {
    s.text = (sets_name ? "" : "name = \"inj\"\n") + body + head_tables;
  } else {
    s.text = "name = \"inj\"\n" + head_tables + body;
  }
  VMFORGE_TRY_VOID(create_disk_image(dir.file("plain.img"), "raw", 1 << 20));
  std::error_code ec;
  switch (c.make) {
    case Make::nothing: break;
    case Make::directory: fs::create_directory(s.path, ec); break;
    case Make::file: {
      std::ofstream(s.path, std::ios::binary).close();
      fs::resize_file(s.path, 256 << 10, ec);
      break;
    }
    case Make::image: VMFORGE_TRY_VOID(create_disk_image(s.path, "raw", 1 << 20)); break;
    case Make::fifo:
      if (::mkfifo(s.path.c_str(), 0600) != 0) return unexpected(Error("mkfifo failed", errno));
      break;
    case Make::script:
      std::ofstream(s.path) << "#!/bin/sh\ntouch \"$0.ran\"\n";
      fs::permissions(s.path, fs::perms::owner_all, ec);
      break;
    case Make::kernel_link: fs::create_symlink(guest.kernel, s.path, ec); break;
    case Make::initrd_link: fs::create_symlink(guest.initrd, s.path, ec); break;
    case Make::bios_link: fs::create_symlink("/usr/share/seabios/bios-256k.bin", s.path, ec); break;
    case Make::qemu_link: {
      auto qemu = launch::run({"sh", "-c", "command -v qemu-system-x86_64"}, std::chrono::seconds(5));
      if (!qemu) return unexpected(qemu.error());
      fs::create_symlink(qemu->substr(0, qemu->find('\n')), s.path, ec);
      break;
    }
  }
  if (ec) return unexpected(Error(fmt::format("cannot prepare '{}': {}", s.path, ec.message())));
  return s;
}

bool tap_usable() { return ::access("/dev/net/tun", R_OK | W_OK) == 0 && ::geteuid() == 0; }

}  // namespace

TEST_CASE("hostile values reach QEMU exactly or are refused", "[qemu][injection]") {
  for (const Case& c : cases()) {
    INFO("field " << c.field);
    if (c.field.rfind("net.", 0) == 0 && c.check && !tap_usable()) {
      WARN("skipping " << c.field << ": creating a tap device needs root and /dev/net/tun");
      continue;
    }
    auto dir = temp_dir();
    auto staged = stage(c, dir, kHostile);
    if (!staged) FAIL(staged.error().message);
    auto vm = validate_text(staged->text, dir.file("inj.toml"));
    if (!vm) FAIL(render(vm.error()) << "\n" << staged->text);
    auto plan = lower(*vm);
    if (c.lowering_refuses) {
      REQUIRE_FALSE(plan);
      CHECK(render(plan.error()).find("romfile") != std::string::npos);
      continue;
    }
    if (!plan) FAIL(render(plan.error()));
    const bool is_path = c.toml.find("@P@") != std::string_view::npos;
    CHECK(argv_carries(*plan, std::string(c.prefix) + (is_path ? staged->path : staged->value)));
    if (!c.check) continue;

    auto qemu = start_plan(*plan, dir);
    if (!qemu) FAIL(qemu.error().message);
    auto applied = apply_steps(qemu->qmp, plan->steps);
    if (!applied) FAIL(applied.error().message);
    Probe probe{*qemu, staged->value, staged->path, dir.path()};
    CHECK(c.check(probe) == "");
    CHECK(qemu->qmp.execute("quit"));
    CHECK(qemu->qemu.wait(std::chrono::seconds(10)));
    if (c.after_quit) CHECK(c.after_quit(probe) == "");
  }
}

TEST_CASE("a newline in any string field is refused with a diagnostic", "[qemu][injection]") {
  std::vector<std::string_view> bodies;
  for (const Case& c : cases()) bodies.push_back(c.toml);
  for (const Refused& r : kRefused) bodies.push_back(r.toml);
  for (std::string_view body : bodies) {
    INFO("manifest part " << body);
    auto dir = temp_dir();
    Case c("", body, Make::nothing, nullptr);
    auto staged = stage(c, dir, std::string(kHostile) + "\nx");
    REQUIRE(staged);
    auto vm = validate_text(staged->text, dir.file("inj.toml"));
    REQUIRE_FALSE(vm);
    CHECK(vm.error().has_errors());
  }
}

TEST_CASE("fields restricted to names refuse the hostile value", "[qemu][injection]") {
  for (const Refused& r : kRefused) {
    INFO("manifest part " << r.toml);
    auto dir = temp_dir();
    Case c("", r.toml, Make::nothing, nullptr);
    auto fine = stage(c, dir, r.accepted);
    REQUIRE(fine);
    auto accepted = validate_text(fine->text, dir.file("inj.toml"));
    if (!accepted) FAIL(render(accepted.error()));
    auto staged = stage(c, dir, kHostile);
    REQUIRE(staged);
    auto vm = validate_text(staged->text, dir.file("inj.toml"));
    REQUIRE_FALSE(vm);
    CHECK(vm.error().has_errors());
  }
}
