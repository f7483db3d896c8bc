#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <fstream>
#include <string>

#include "compiler/base/read_file.hpp"
#include "compiler/base/unique_fd.hpp"
#include "tests/support/temp_dir.hpp"

using vmforge::read_file;

TEST_CASE("read_file returns the whole file, also past one read's buffer", "[base]") {
  auto dir = vmforge::test::temp_dir();
  std::string content;
  for (int i = 0; i < 2000; ++i) content += "line " + std::to_string(i) + "\n";
  content += std::string("\0tail", 5);
  std::string path = dir.file("big");
  std::ofstream(path, std::ios::binary) << content;
  auto text = read_file(path);
  REQUIRE(text);
  CHECK(*text == content);

  std::ofstream(dir.file("empty")).close();
  auto empty = read_file(dir.file("empty"));
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("read_file says which file it could not open and keeps errno", "[base]") {
  auto missing = read_file("/nonexistent/vm.toml");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message == "Failed to open '/nonexistent/vm.toml': No such file or directory");
  CHECK(missing.error().errno_value == ENOENT);

  auto directory = read_file("/");
  REQUIRE_FALSE(directory);
  CHECK(directory.error().message == "Failed to read '/': Is a directory");
  CHECK(directory.error().errno_value == EISDIR);
}

TEST_CASE("read_file reads a pipe (a manifest from <(...)); read_fd reads from the start", "[base]") {
  int ends[2];
  REQUIRE(pipe2(ends, O_CLOEXEC) == 0);
  vmforge::UniqueFd reader(ends[0]), writer(ends[1]);
  REQUIRE(write(writer.get(), "name = \"p\"\n", 11) == 11);
  writer.reset();
  auto piped = read_file("/dev/fd/" + std::to_string(reader.get()));
  REQUIRE(piped);
  CHECK(*piped == "name = \"p\"\n");

  // As the launcher hands the manifest over: written, so positioned at its end.
  vmforge::UniqueFd memory(memfd_create("manifest", MFD_CLOEXEC));
  REQUIRE(write(memory.get(), "name = \"m\"\n", 11) == 11);
  auto whole = vmforge::read_fd(memory.get(), "the manifest");
  REQUIRE(whole);
  CHECK(*whole == "name = \"m\"\n");
}

TEST_CASE("read_file refuses devices and named FIFOs without blocking, and says why", "[base]") {
  auto zero = read_file("/dev/zero");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message == "Failed to read '/dev/zero': it is a character device, not a regular file or a pipe");

  // Before the fix open() waited for a writer forever.
  auto dir = vmforge::test::temp_dir();
  const std::string fifo = dir.file("fifo");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto named = read_file(fifo);
  REQUIRE_FALSE(named);
  CHECK(named.error().message == "Failed to read '" + fifo + "': it is a named FIFO, not a regular file or a pipe");
}

TEST_CASE("read_file refuses a file or a pipe above the limit", "[base]") {
  auto dir = vmforge::test::temp_dir();
  const std::string big = dir.file("big");
  std::ofstream(big, std::ios::binary) << std::string((1 << 20) + 1, 'x');
  auto refused = read_file(big, 1 << 20);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().message ==
        "Failed to read '" + big + "': it is larger than 1 MiB, the most vmforge reads from such a file");
  CHECK(refused.error().errno_value == EFBIG);
  CHECK(read_file(big, 2 << 20));

  // A pipe has no size to look at first: it is cut off while read.
  int ends[2];
  REQUIRE(pipe2(ends, O_CLOEXEC) == 0);
  vmforge::UniqueFd reader(ends[0]), writer(ends[1]);
  const std::string chunk(8192, 'y');
  REQUIRE(write(writer.get(), chunk.data(), chunk.size()) == static_cast<ssize_t>(chunk.size()));
  writer.reset();
  auto piped = vmforge::read_fd(reader.get(), "the pipe", 4096);
  REQUIRE_FALSE(piped);
  CHECK(piped.error().errno_value == EFBIG);
}
