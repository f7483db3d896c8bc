// The compile JSON layout: fixed member order, one argv element and one step per line.
#include <catch2/catch.hpp>

#include "compiler/plan/plan.hpp"

using namespace vmforge;

TEST_CASE("a step renders resource, call, completion and undo", "[compiler]") {
  PlanStep step{"disk:data1",
                {"device_del", R"({"id":"data1"})", {Completion::Kind::event, "DEVICE_DELETED", "data1", 10000}},
                std::nullopt};
  CHECK(render_step_json(step) ==
        R"({"resource":"disk:data1","command":"device_del","arguments":{"id":"data1"},)"
        R"("completion":{"kind":"event","event":"DEVICE_DELETED","device":"data1","timeout_ms":10000},"undo":null})");
  step.undo = QmpCall{"blockdev-del", R"({"node-name":"data1.fmt"})", {}};
  CHECK(
      render_step_json(step).find(
          R"("undo":{"command":"blockdev-del","arguments":{"node-name":"data1.fmt"},"completion":{"kind":"reply"}}})") !=
      std::string::npos);
}

TEST_CASE("a plan renders as the compile JSON document", "[compiler]") {
  Plan plan{"web", "qemu-system-x86_64", "ab12", {"-S", "-name", "we\"b"}, {}, {}};
  plan.steps.push_back({"net:eth1", {"netdev_add", R"({"type":"user","id":"eth1.net"})", {}}, std::nullopt});
  plan.files.push_back({4, {"/srv/a b.img", FileOpen::read_write}});
  CHECK(
      render_plan_json(plan) ==
      "{\n"
      "  \"name\": \"web\",\n"
      "  \"qemu\": \"qemu-system-x86_64\",\n"
      "  \"argv\": [\n"
      "    \"-S\",\n"
      "    \"-name\",\n"
      "    \"we\\\"b\"\n"
      "  ],\n"
      "  \"files\": [\n"
      "    {\"fd\":4,\"file\":{\"path\":\"/srv/a b.img\",\"open\":\"read-write\"}}\n"
      "  ],\n"
      "  \"plan\": [\n"
      "    {\"resource\":\"net:eth1\",\"command\":\"netdev_add\",\"arguments\":{\"type\":\"user\",\"id\":\"eth1.net\"},"
      "\"completion\":{\"kind\":\"reply\"},\"undo\":null}\n"
      "  ],\n"
      "  \"manifest_sha256\": \"ab12\"\n"
      "}\n");
  plan.argv.clear();
  plan.steps.clear();
  plan.files.clear();
  CHECK(render_plan_json(plan).find("\"argv\": [],\n  \"files\": [],\n  \"plan\": [],\n") != std::string::npos);
}
