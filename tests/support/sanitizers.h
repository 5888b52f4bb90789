// Whether this test program is built with AddressSanitizer (the sanitizer build of test.sh:
// TINYSCALE_SANITIZE). The CLI the tests run is built the same way as they are.
#pragma once

namespace tinyscale::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

// Property tests run every one of their random or enumerated cases in the Release pass and
// every kSanitizerCaseStride-th one in the sanitizer pass, where the same code runs about ten
// times slower (the solver's allocations through ASan's allocator). The sanitizer pass is there
// for memory errors and undefined behaviour, which a quarter of the cases exercise along the
// same paths; the Release pass keeps the statistical assertions' full weight.
inline constexpr int kSanitizerCaseStride = kAddressSanitizer ? 4 : 1;
// Cases to run of `release_cases` (at least one).
constexpr int property_cases(int release_cases) {
  return release_cases / kSanitizerCaseStride > 0 ? release_cases / kSanitizerCaseStride : 1;
}
// Whether the enumerated case `index` runs in this pass.
constexpr bool runs_case(int index) { return index % kSanitizerCaseStride == 0; }

// AddressSanitizer reserves terabytes of address space for its shadow memory at start-up, so a
// process under an address-space limit (setrlimit RLIMIT_AS) cannot even start.
inline constexpr const char* kNoAddressSpaceLimitUnderAsan =
    "an address-space limit cannot apply under AddressSanitizer (its shadow memory reserves "
    "terabytes); the Release build runs this test";

}  // namespace tinyscale::testing
