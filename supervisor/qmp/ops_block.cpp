// Block node and disk device builders.
#include "supervisor/qmp/ops_block.hpp"

namespace vmforge::qmp {

Command blockdev_add(const BlockdevAdd& node) {
  std::string file = Arguments().set("driver", node.file_driver).set("filename", node.filename).take();
  Arguments a;
  a.set("driver", node.format).set("node-name", node.node_name).set_json("file", file).set("read-only", node.read_only);
  if (node.cache_direct || node.cache_no_flush) {
    a.set_json("cache", Arguments().set_if("direct", node.cache_direct).set_if("no-flush", node.cache_no_flush).take());
  }
  return {"blockdev-add", a.take(), {}};
}

Command blockdev_del(std::string_view node_name) {
  return {"blockdev-del", Arguments().set("node-name", node_name).take(), {}};
}

Command device_add_block(const BlockDeviceAdd& disk) {
  Arguments a;
  a.set("driver", disk.driver).set("id", disk.id).set("drive", disk.drive).set_if("bus", disk.bus)
      .set_if("addr", disk.addr).set_if("serial", disk.serial).set_if("share-rw", disk.share_rw)
      .set_if("num-queues", disk.num_queues).set_if("disable-modern", disk.disable_modern)
      .set_if("romfile", disk.romfile);
  return {"device_add", a.take(), {}};
}

Command device_add_scsi(const ScsiDeviceAdd& disk) {
  Arguments a;
  a.set("driver", disk.driver == ScsiDriver::hd ? "scsi-hd" : "scsi-cd").set("id", disk.id)
      .set("drive", disk.drive).set_if("bus", disk.bus).set_if("scsi-id", disk.scsi_id).set_if("lun", disk.lun)
      .set_if("share-rw", disk.share_rw);
  return {"device_add", a.take(), {}};
}

Command device_add_scsi_controller(std::string_view id, std::string_view bus) {
  return {"device_add", Arguments().set("driver", "virtio-scsi-pci").set("id", id).set_if("bus", bus).take(), {}};
}

}  // namespace vmforge::qmp
