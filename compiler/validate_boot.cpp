// Validation of what the guest boots from: [kernel], [firmware], [rtc], [[fw_cfg]],
// [cloud_init] and [confidential_guest].
#include <set>

#include "compiler/validate.hpp"

namespace vmforge {

namespace {

bool digits_at(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return false;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

/// QEMU's -rtc base datetime: "2006-06-17" or "2006-06-17T16:01:21".
bool is_rtc_datetime(std::string_view t) {
  bool date = t.size() >= 10 && digits_at(t, 0, 4) && t[4] == '-' && digits_at(t, 5, 2) && t[7] == '-' &&
              digits_at(t, 8, 2);
  if (!date) return false;
  if (t.size() == 10) return true;
  return t.size() == 19 && t[10] == 'T' && digits_at(t, 11, 2) && t[13] == ':' && digits_at(t, 14, 2) &&
         t[16] == ':' && digits_at(t, 17, 2);
}

void validate_kernel(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "kernel", ctx);
  if (!f.present()) return;
  vm.origins.emplace("kernel", f.loc());
  Kernel k;
  if (f.require("path")) k.path = f.path("path").value_or("");
  k.initrd = f.path("initrd");
  k.cmdline = f.text("cmdline");
  vm.kernel = std::move(k);
}

void validate_firmware(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "firmware", ctx);
  if (!f.present()) return;
  vm.origins.emplace("firmware", f.loc());
  vm.firmware.bios = f.path("bios");
  for (const std::string& file : f.texts("pflash")) {
    if (file.empty()) {
      f.error("pflash", "[firmware]: 'pflash' entries must not be empty");
      continue;
    }
    vm.firmware.pflash.push_back(f.ctx().resolve(file));
  }
  const KeyRange images = f.item_count("pflash");
  if (static_cast<std::int64_t>(vm.firmware.pflash.size()) > images.max) {
    f.error("pflash", fmt::format("[firmware]: at most {} 'pflash' images (code and variables), not {}",
                                  images.max, vm.firmware.pflash.size()));
  }
}

void validate_rtc(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "rtc", ctx);
  if (!f.present()) return;
  vm.origins.emplace("rtc", f.loc());
  Rtc rtc;
  if (auto base = f.text("base")) {
    if (auto named = enum_from_string<RtcBase>(*base); named && *named != RtcBase::datetime) {
      rtc.base = *named;
    } else if (is_rtc_datetime(*base)) {
      rtc.base = RtcBase::datetime;
      rtc.datetime = *base;
    } else {
      f.error("base", fmt::format("[rtc]: 'base' must be 'utc', 'localtime' or a date like '2006-06-17' or "
                                  "'2006-06-17T16:01:21', not {}",
                                  quote_text(*base)));
    }
  }
  rtc.clock = f.choice_or_default<RtcClock>("clock");
  rtc.driftfix = f.choice_or_default<RtcDriftFix>("driftfix");
  vm.rtc = std::move(rtc);
}

void validate_fw_cfg(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  // Names outside opt/ are QEMU's own.
  std::set<std::string> names;
  for_each_table(root, "fw_cfg", ctx, [&](Fields& f) {
    FwCfg entry;
    if (f.require("name")) {
      entry.name = f.text("name").value_or("");
      f.set_owner(fmt::format("fw_cfg {}", quote_text(entry.name)));
      if (entry.name.substr(0, 4) != "opt/" || entry.name.size() == 4) {
        f.error("name", fmt::format("{}: the name must start with 'opt/' (e.g. 'opt/com.example/blob'); other "
                                    "names belong to QEMU",
                                    f.owner()));
      } else if (static_cast<std::int64_t>(entry.name.size()) > f.length("name").max) {
        f.error("name", fmt::format("{}: the name is longer than {} bytes", f.owner(), f.length("name").max));
      } else if (!names.insert(entry.name).second) {
        f.error("name", fmt::format("{}: duplicate fw_cfg name", f.owner()));
      }
    }
    entry.file = f.path("file");
    entry.string = f.text("string");
    if (f.has("file") == f.has("string")) {
      f.ctx().error(f.loc(), fmt::format("{} needs exactly one of 'file' and 'string'", f.owner()));
    }
    vm.origins.emplace("fw_cfg:" + entry.name, f.loc());
    vm.fw_cfg.push_back(std::move(entry));
  });
}

void validate_cloud_init(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "cloud_init", ctx);
  if (!f.present()) return;
  vm.origins.emplace("cloud_init", f.loc());
  CloudInit ci;
  ci.format = f.choice_or_default<CloudInitFormat>("format");
  if (f.require("user_data")) ci.user_data = f.path("user_data").value_or("");
  if (f.require("meta_data")) ci.meta_data = f.path("meta_data").value_or("");
  ci.network_config = f.path("network_config");
  vm.cloud_init = std::move(ci);
}

void validate_confidential(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  Fields f = single_table(root, "confidential_guest", ctx);
  if (!f.present()) return;
  vm.origins.emplace("confidential_guest", f.loc());
  ConfidentialGuest cg;
  if (f.require("type")) cg.kind = f.choice<ConfidentialKind>("type").value_or(cg.kind);
  bool sev = cg.kind == ConfidentialKind::sev;
  bool tdx = cg.kind == ConfidentialKind::tdx;
  bool pef = cg.kind == ConfidentialKind::pef;
  cg.firmware = f.path("firmware");
  f.only_if(sev || tdx, "firmware", "types 'sev' and 'tdx'");
  f.only_if(sev, "cbitpos", "type 'sev'");
  f.only_if(sev, "reduced_phys_bits", "type 'sev'");
  f.only_if(tdx, "debug", "type 'tdx'");
  f.only_if(pef, "host_path", "type 'pef'");
  if (sev) {
    if (f.require("cbitpos")) cg.cbitpos = static_cast<std::uint32_t>(f.number("cbitpos").value_or(cg.cbitpos));
    if (f.require("reduced_phys_bits")) {
      cg.reduced_phys_bits = static_cast<std::uint32_t>(f.number("reduced_phys_bits").value_or(cg.reduced_phys_bits));
    }
  }
  if (sev && cg.firmware && !vm.firmware.pflash.empty()) {
    f.error("firmware", "[confidential_guest]: 'firmware' is the SEV guest's pflash image, but [firmware] 'pflash' "
                        "is set too; give the image once");
  }
  if (tdx) {
    f.require("firmware");
    cg.debug = f.flag_or_default("debug");
  }
  if (pef) cg.host_path = f.path("host_path");
  bool x86 = vm.machine.family == MachineFamily::q35 || vm.machine.family == MachineFamily::pc;
  if ((sev || tdx) && !x86) {
    f.error("type", fmt::format("[confidential_guest]: type '{}' needs an x86 machine (q35 or pc)",
                                to_string(cg.kind)));
  }
  vm.confidential_guest = std::move(cg);
}

}  // namespace

void validate_boot(const RawValue& root, ValidateContext& ctx, Vm& vm) {
  validate_kernel(root, ctx, vm);
  validate_firmware(root, ctx, vm);
  validate_rtc(root, ctx, vm);
  validate_fw_cfg(root, ctx, vm);
  validate_cloud_init(root, ctx, vm);
  validate_confidential(root, ctx, vm);
}

}  // namespace vmforge
