// The fuzz targets without libFuzzer: every file given (or every file in a directory given) is fed
// to the target once. ctest runs each target over its seed corpus, crashes found earlier
// included, so they stay fixed in every build (plain, ASan, TSan) without clang.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_target.h"

namespace {

void collect(const std::string& path, std::vector<std::string>& files) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        std::cerr << "replay: " << path << " does not exist\n";
        std::exit(2);
    }
    if (!S_ISDIR(info.st_mode)) {
        files.push_back(path);
        return;
    }
    DIR* directory = ::opendir(path.c_str());
    if (directory == nullptr) {
        std::cerr << "replay: " << path << " cannot be read\n";
        std::exit(2);
    }
    while (dirent* entry = ::readdir(directory)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") collect(path + "/" + name, files);
    }
    ::closedir(directory);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) collect(argv[i], files);
    std::sort(files.begin(), files.end());
    if (files.empty()) {
        std::cerr << "replay: no inputs\n";
        return 2;
    }
    for (const auto& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::cerr << "replay: " << file << " cannot be read\n";
            return 2;
        }
        std::ostringstream bytes;
        bytes << in.rdbuf();
        const std::string input = bytes.str();
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    }
    std::cout << "replayed " << files.size() << " inputs\n";
    return 0;
}
