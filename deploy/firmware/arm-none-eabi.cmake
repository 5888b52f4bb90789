# arm-none-eabi.cmake - CMake toolchain file for Debian's gcc-arm-none-eabi with
# libnewlib-arm-none-eabi (and libstdc++-arm-none-eabi-newlib for C++).
#
#   cmake -S pkg -B build -DCMAKE_TOOLCHAIN_FILE=arm-none-eabi.cmake -DTINYSCALE_CORTEX_M=cortex-m4
#
# TINYSCALE_CORTEX_M picks the core and its floating-point ABI:
#   cortex-m7   -mcpu=cortex-m7  -mfpu=fpv5-d16    -mfloat-abi=hard  (QEMU mps2-an500)
#   cortex-m4   -mcpu=cortex-m4  -mfpu=fpv4-sp-d16 -mfloat-abi=hard  (QEMU mps2-an386)
#   cortex-m33  -mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard  (QEMU mps2-an505)
#   cortex-m3   -mcpu=cortex-m3  -mfloat-abi=soft (no FPU)               (QEMU mps2-an385)
#   cortex-m0plus -mcpu=cortex-m0plus -mfloat-abi=soft (no FPU)
# Every target compiles with -O2, one section per function and per object (so the link's
# --gc-sections drops what a model does not call), and C++ without exceptions or RTTI.
# A firmware that brings its own startup code (deploy/firmware/startup.c) links with
# -nostartfiles and a linker script (deploy/firmware/mps2_an500.ld, mps2_an386.ld or
# mps2_an385.ld).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(TINYSCALE_CORTEX_M "cortex-m7" CACHE STRING
    "Target core: cortex-m7, cortex-m4, cortex-m33, cortex-m3 or cortex-m0plus")
set_property(CACHE TINYSCALE_CORTEX_M PROPERTY STRINGS cortex-m7 cortex-m4 cortex-m33 cortex-m3
                                                       cortex-m0plus)
# try_compile projects re-read this file; hand them the choice.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES TINYSCALE_CORTEX_M)

if(TINYSCALE_CORTEX_M STREQUAL "cortex-m7")
  set(_tinyscale_cpu_flags "-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard")
elseif(TINYSCALE_CORTEX_M STREQUAL "cortex-m4")
  set(_tinyscale_cpu_flags "-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
elseif(TINYSCALE_CORTEX_M STREQUAL "cortex-m33")
  set(_tinyscale_cpu_flags "-mcpu=cortex-m33 -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
elseif(TINYSCALE_CORTEX_M STREQUAL "cortex-m3")
  set(_tinyscale_cpu_flags "-mcpu=cortex-m3 -mfloat-abi=soft")
elseif(TINYSCALE_CORTEX_M STREQUAL "cortex-m0plus")
  set(_tinyscale_cpu_flags "-mcpu=cortex-m0plus -mfloat-abi=soft")
else()
  message(FATAL_ERROR "TINYSCALE_CORTEX_M is '${TINYSCALE_CORTEX_M}'; expected cortex-m7, cortex-m4, cortex-m33, cortex-m3 or cortex-m0plus")
endif()

find_program(CMAKE_C_COMPILER arm-none-eabi-gcc REQUIRED)
find_program(CMAKE_CXX_COMPILER arm-none-eabi-g++ REQUIRED)
set(CMAKE_ASM_COMPILER ${CMAKE_C_COMPILER})
find_program(CMAKE_AR arm-none-eabi-ar REQUIRED)
find_program(CMAKE_OBJCOPY arm-none-eabi-objcopy)
find_program(CMAKE_SIZE arm-none-eabi-size)
# The compiler check cannot link a bare-metal executable without a linker script.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(_tinyscale_common "${_tinyscale_cpu_flags} -mthumb -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${_tinyscale_common}")
set(CMAKE_CXX_FLAGS_INIT "${_tinyscale_common} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
set(CMAKE_ASM_FLAGS_INIT "${_tinyscale_cpu_flags} -mthumb")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,--gc-sections")
foreach(_lang C CXX ASM)
  set(CMAKE_${_lang}_FLAGS_RELEASE_INIT "-O2")
  set(CMAKE_${_lang}_FLAGS_MINSIZEREL_INIT "-Os")
  set(CMAKE_${_lang}_FLAGS_RELWITHDEBINFO_INIT "-O2 -g")
endforeach()
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type")
endif()

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
