#include "deploy/qemu_firmware.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

#include "core/error.h"

namespace tinyscale::deploy {
namespace {

constexpr const char* kFirmwareSupport[] = {"startup.c", "counter.c", "semihost.c", "syscalls.c"};

std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

void run_step(const std::string& command, const std::filesystem::path& log,
              const std::string& what) {
  if (std::system((command + " >" + quoted(log) + " 2>&1").c_str()) == 0) return;
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  throw Error(what + " failed: " + command + "\n" + text);
}

}  // namespace

std::string qemu_firmware_main(const std::string& name, bool profile) {
  std::string NAME = name;
  for (char& c : NAME) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  std::string m;
  m += "// main.cpp: QEMU firmware around the generated model '" + name +
       "' (deploy/qemu_firmware.h).\n";
  m += "#include \"" + name + ".h\"\n#include \"firmware.h\"\n#include \"semihost.h\"\n\n";
  if (profile) {
    // TINYSCALE_OP_DONE(k) (model.cpp's hook) records the counter after call k.
    m += "namespace {\nconstexpr int kMaxCalls = " + std::to_string(kProfileMaxCalls) +
         ";\nunsigned long long g_done[kMaxCalls];\nint g_calls = 0;\n}  // namespace\n\n";
    m += "extern \"C\" void ts_profile_op_done(int k) {\n"
         "  if (k < 0 || k >= kMaxCalls) return;\n"
         "  g_done[k] = ts_counter_ticks();\n"
         "  if (k + 1 > g_calls) g_calls = k + 1;\n}\n\n";
  }
  m += "int main(void) {\n";
  m += "  long total = 0;\n";
  m += "  for (int i = 0; " + name + "_input(i) != nullptr; ++i) total += " + name +
       "_input(i)->bytes;\n";
  m += "  const int in = ts_sh_open(\"input.bin\", TS_SH_MODE_RB);\n";
  m += "  if (in < 0 || ts_sh_flen(in) != total) {\n";
  m += "    ts_sh_write0(\"TINYSCALE error=input.bin_missing_or_not_the_inputs_size\\n\");\n";
  m += "    ts_report(\"input_bytes_expected\", static_cast<unsigned long long>(total));\n";
  m += "    return 2;\n  }\n";
  m += "  for (int i = 0; " + name + "_input(i) != nullptr; ++i) {\n";
  m += "    const " + name + "_tensor_t* t = " + name + "_input(i);\n";
  m += "    if (ts_sh_read(in, t->data, static_cast<unsigned>(t->bytes)) != 0u) return 2;\n";
  m += "  }\n  ts_sh_close(in);\n\n";
  m += "  ts_stack_paint();\n  ts_counter_start();\n";
  if (profile) {
    // The hook's own cost: 256 calls in a row, in instructions x 256 (reported; the host
    // subtracts it from each call's figure).
    m += "  const unsigned long long h0 = ts_counter_ticks();\n"
         "  for (int i = 0; i < 256; ++i) ts_profile_op_done(kMaxCalls - 1);\n"
         "  const unsigned long long hook256 = (ts_counter_ticks() - h0) * "
         "TS_INSTRUCTIONS_PER_TICK;\n"
         "  g_calls = 0;\n  ts_counter_start();\n";
  }
  m += "  " + name + "_invoke();\n";
  m += "  const unsigned long long instructions = ts_counter_instructions();\n";
  m += "  const unsigned stack_bytes = ts_stack_high_water_bytes();\n\n";
  m += "  const int out = ts_sh_open(\"output.bin\", TS_SH_MODE_WB);\n";
  m += "  if (out < 0) return 2;\n";
  m += "  for (int i = 0; " + name + "_output(i) != nullptr; ++i) {\n";
  m += "    const " + name + "_tensor_t* t = " + name + "_output(i);\n";
  m += "    if (ts_sh_write(out, t->data, static_cast<unsigned>(t->bytes)) != 0u) return 2;\n";
  m += "  }\n  if (ts_sh_close(out) != 0) return 2;\n";
  m += "  ts_report(\"instructions\", instructions);\n";
  m += "  ts_report(\"stack_bytes\", stack_bytes);\n";
  m += "  ts_report(\"arena_bytes\", " + NAME + "_ARENA_BYTES);\n";
  m += "  ts_report(\"model_data_bytes\", " + NAME + "_MODEL_DATA_BYTES);\n";
  if (profile) {
    m += "  ts_report(\"profile_hook_x256\", hook256);\n";
    m += "  ts_report(\"profile_calls\", static_cast<unsigned long long>(g_calls));\n";
    m += "  char key[16] = \"call\";\n";
    m += "  for (int k = 0; k < g_calls; ++k) {\n"
         "    int n = 4;\n    char digits[8];\n    int d = 0;\n"
         "    for (int v = k; d == 0 || v > 0; v /= 10) digits[d++] = static_cast<char>('0' + v % "
         "10);\n"
         "    while (d > 0) key[n++] = digits[--d];\n    key[n] = '\\0';\n"
         "    ts_report(key, g_done[k] * TS_INSTRUCTIONS_PER_TICK);\n  }\n";
  }
  m += "  return 0;\n}\n";
  return m;
}

std::filesystem::path build_qemu_firmware(const std::filesystem::path& package_dir,
                                          const std::string& name, const CortexMTarget& target,
                                          const std::filesystem::path& build_dir, bool profile) {
  if (target.linker_script.empty())
    throw Error(std::string(target.name) +
                ": no QEMU firmware support yet (QEMU machines here: mps2-an500 for cortex-m7, "
                "mps2-an386 for cortex-m4, mps2-an385 for cortex-m3)");
  if (!std::filesystem::is_regular_file(package_dir / (name + ".cpp")))
    throw Error("no generated model " + (package_dir / (name + ".cpp")).string());
  std::filesystem::create_directories(build_dir);
  const std::filesystem::path fw = firmware_dir();
  const std::filesystem::path log = build_dir / "build.log";
  const std::string common = std::string(target.gcc_flags) +
                             " -O2 -ffunction-sections -fdata-sections -Wall -Wextra -Werror";
  const std::string cxx = "arm-none-eabi-g++ -std=c++20 " + common +
                          " -fno-exceptions -fno-rtti -fno-threadsafe-statics -I" +
                          quoted(package_dir) + " -I" + quoted(package_dir / "kernels") + " -I" +
                          quoted(fw);

  std::vector<std::filesystem::path> objects;
  auto compile = [&](const std::string& compiler, const std::filesystem::path& source) {
    const std::filesystem::path object =
        build_dir / (std::to_string(objects.size()) + "_" + source.stem().string() + ".o");
    run_step(compiler + " -c " + quoted(source) + " -o " + quoted(object), log,
             "compiling " + source.string() + " for " + std::string(target.name));
    objects.push_back(object);
  };
  for (const char* source : kFirmwareSupport)
    compile("arm-none-eabi-gcc " + common + " -I" + quoted(fw), fw / source);
  const std::filesystem::path main_cpp = build_dir / "main.cpp";
  std::ofstream(main_cpp) << qemu_firmware_main(name, profile);
  compile(cxx, main_cpp);
  if (profile) {
    const std::filesystem::path hook = build_dir / "profile_hook.h";
    std::ofstream(hook) << "extern \"C\" void ts_profile_op_done(int k);\n"
                           "#define TINYSCALE_OP_DONE(k) ts_profile_op_done(k)\n";
    compile(cxx + " -include " + quoted(hook), package_dir / (name + ".cpp"));
  } else {
    compile(cxx, package_dir / (name + ".cpp"));
  }
  if (std::filesystem::is_directory(package_dir / "kernels"))
    for (const auto& entry : std::filesystem::directory_iterator(package_dir / "kernels"))
      if (entry.path().extension() == ".cpp") compile(cxx, entry.path());

  const std::filesystem::path elf = build_dir / (name + ".elf");
  std::string link = "arm-none-eabi-g++ " + std::string(target.gcc_flags) +
                     " -nostartfiles -Wl,--gc-sections -T" + quoted(fw / target.linker_script);
  for (const std::filesystem::path& object : objects) link += " " + quoted(object);
  run_step(link + " -o " + quoted(elf), log, "linking " + elf.string());
  return elf;
}

}  // namespace tinyscale::deploy
