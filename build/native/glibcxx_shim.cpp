// Provides std::ios_base_library_init(), the one symbol libLibTorchSharp.so (TorchSharp 0.107, built with GCC 13)
// needs from GLIBCXX_3.4.32, on systems whose libstdc++ is older (Debian 12 ships 3.4.30). GCC 13 only references
// the symbol to pull in libstdc++'s own iostream initialisation, so this shim also initialises iostreams itself.
#include <ios>

namespace std {
void ios_base_library_init() {}
}

static std::ios_base::Init audioclf_iostream_init;
