// Must NOT compile under the freestanding check's flags (test
// device_kernels_reject_forbidden_include): proves the check catches a standard container.
#include <vector>

int probe() { return static_cast<int>(std::vector<int>(1).size()); }
