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

// AddressSanitizer reserves terabytes of address space for its shadow memory at start-up, so a
// process under an address-space limit (setrlimit RLIMIT_AS) cannot even start.
inline constexpr const char* kNoAddressSpaceLimitUnderAsan =
    "an address-space limit cannot apply under AddressSanitizer (its shadow memory reserves "
    "terabytes); the Release build runs this test";

}  // namespace tinyscale::testing
