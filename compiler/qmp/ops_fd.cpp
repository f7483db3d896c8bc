// fd passing builders.
#include "compiler/qmp/ops_fd.hpp"

#include "compiler/qmp/arguments.hpp"
#include "compiler/qmp/reply_reader.hpp"

namespace vmforge::qmp {

QmpCall getfd(std::string_view fdname) { return {"getfd", Arguments().set("fdname", fdname).take(), {}}; }
QmpCall closefd(std::string_view fdname) { return {"closefd", Arguments().set("fdname", fdname).take(), {}}; }

QmpCall add_fd(std::optional<std::int64_t> fdset_id, std::string_view opaque) {
  return {"add-fd", Arguments().set_if("fdset-id", fdset_id).set_if("opaque", opaque).take(), {}};
}

Result<AddFdInfo> parse_add_fd(const JsonValue& reply) {
  ReplyReader r("add-fd", reply);
  AddFdInfo info;
  info.fdset_id = r.int64("fdset-id");
  info.fd = r.int64("fd");
  return r.finish(info);
}

QmpCall remove_fd(std::int64_t fdset_id, std::optional<std::int64_t> fd) {
  return {"remove-fd", Arguments().set("fdset-id", fdset_id).set_if("fd", fd).take(), {}};
}

}  // namespace vmforge::qmp
