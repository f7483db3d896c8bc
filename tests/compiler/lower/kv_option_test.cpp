// KvOption: values escaped, keys and numbers verbatim, the first bad value reported.
#include <catch2/catch.hpp>

#include <string>

#include "compiler/lower/kv_option.hpp"

using vmforge::KvOption;

TEST_CASE("KvOption joins keys and escaped values", "[compiler]") {
  auto text = KvOption("socket")
                  .add("id", "c0")
                  .add("path", "/run/a,b.sock")
                  .on_off("server", true)
                  .on_off("wait", false)
                  .add("size", std::uint64_t{64})
                  .str();
  REQUIRE(text);
  CHECK(*text == "socket,id=c0,path=/run/a,,b.sock,server=on,wait=off,size=64");
}

TEST_CASE("KvOption without a head starts with its first key", "[compiler]") {
  CHECK(*KvOption().add("cpus", std::uint64_t{2}).add("maxcpus", std::uint64_t{4}).str() == "cpus=2,maxcpus=4");
  CHECK(KvOption().empty());
}

TEST_CASE("KvOption keeps '=', quotes and spaces inside one value", "[compiler]") {
  CHECK(*KvOption().add("string", "a=b 'c' \"d\",e=f").str() == "string=a=b 'c' \"d\",,e=f");
}

TEST_CASE("KvOption reports the first value it cannot escape", "[compiler]") {
  auto text = KvOption("file").add("id", "x").add("path", "a\nb").add("logfile", std::string("c\0d", 3)).str();
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "value of 'path' contains a newline, which QEMU cannot take in an option value");
  auto head = KvOption("q\n35").str();
  REQUIRE_FALSE(head);
  CHECK(head.error().message.rfind("'q\n35' contains a newline", 0) == 0);
}

TEST_CASE("KvOption refuses keys that are not plain names", "[compiler]") {
  auto text = KvOption("q35").add("usb=on,x", "off").str();
  REQUIRE_FALSE(text);
  CHECK(text.error().message == "'usb=on,x' is not a valid option name");
  CHECK_FALSE(KvOption().on_off("", true).str());
  CHECK(*KvOption("qemu64").item("+avx2").item("-svm,x").str() == "qemu64,+avx2,-svm,,x");
}
