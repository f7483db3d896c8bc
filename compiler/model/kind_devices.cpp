// Resource names of devices; the kinds of device that share a Vm list.
#include "compiler/model/kind_devices.hpp"

namespace vmforge {

std::string resource_name(ResourceKind kind, const DeviceId& id) { return ResourceKey{kind, id.str()}.str(); }

ResourceKind kind_of(const Serial& serial) {
  switch (serial.frontend) {
    case SerialFrontend::serial: return ResourceKind::serial;
    case SerialFrontend::virtconsole: return ResourceKind::console;
    case SerialFrontend::virtserialport: return ResourceKind::channel;
  }
  return ResourceKind::serial;
}

}  // namespace vmforge
