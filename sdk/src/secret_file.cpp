// keel::readSecretFile: one rule for every file that holds a secret, whoever reads it.
#include <Poco/String.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "keel/config.h"

namespace keel {

std::string readSecretFile(const std::string& key, const std::string& path) {
    const std::string where = key + " = \"" + path + "\"";
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        throw ConfigError(where + ": the file does not exist or is not a regular file");
    }
    if ((info.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
        throw ConfigError(where + ": other users may read or write it (mode " + mode +
                          "); expected mode 0600 or 0640 (chmod o-rw)");
    }
    std::ifstream in(path);
    if (!in) throw ConfigError(where + ": the file cannot be read by this process");
    std::string secret;
    std::getline(in, secret);
    secret = Poco::trim(secret);
    if (secret.empty()) throw ConfigError(where + ": the file is empty (expected the secret on its first line)");
    return secret;
}

}  // namespace keel
