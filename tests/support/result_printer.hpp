// Lets Catch print a vmforge::Result: `REQUIRE(r)` on a failed Result shows its error message.
#pragma once

#include <string>

#include <catch2/catch.hpp>

#include "compiler/base/result.hpp"

namespace Catch {

template <class T>
struct StringMaker<vmforge::Result<T>> {
  static std::string convert(const vmforge::Result<T>& r) {
    return r ? std::string("{value}") : "{error: " + r.error().message + "}";
  }
};

}  // namespace Catch
