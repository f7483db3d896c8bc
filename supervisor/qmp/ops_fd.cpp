// fd passing builders.
#include "supervisor/qmp/ops_fd.hpp"

#include "supervisor/qmp/reply_reader.hpp"

namespace vmforge::qmp {

Command getfd(std::string_view fdname) { return {"getfd", Arguments().set("fdname", fdname).take(), {}}; }
Command closefd(std::string_view fdname) { return {"closefd", Arguments().set("fdname", fdname).take(), {}}; }

Command add_fd(std::optional<std::int64_t> fdset_id, std::string_view opaque) {
  return {"add-fd", Arguments().set_if("fdset-id", fdset_id).set_if("opaque", opaque).take(), {}};
}

Result<AddFdInfo> parse_add_fd(const JsonValue& reply) {
  ReplyReader r("add-fd", reply);
  AddFdInfo info;
  info.fdset_id = r.int64("fdset-id");
  info.fd = r.int64("fd");
  return r.finish(info);
}

Command remove_fd(std::int64_t fdset_id, std::optional<std::int64_t> fd) {
  return {"remove-fd", Arguments().set("fdset-id", fdset_id).set_if("fd", fd).take(), {}};
}

}  // namespace vmforge::qmp
