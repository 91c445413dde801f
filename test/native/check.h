// The pass/fail bookkeeping of the standalone C++ tests (test/native/*_test.cc, one program
// each): check() counts and prints each failure; main returns failures ? 1 : 0.
#pragma once
#include <cstdio>
#include <string>

inline int failures = 0;

inline void check(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAIL %s\n", what.c_str());
  }
}
