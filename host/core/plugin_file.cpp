#include "plugin_file.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <stdexcept>

namespace keel::host {

namespace {

constexpr const char* kMagic = "KEEL-PLUGIN 1\n";
constexpr std::size_t kMaxRecord = 64 * 1024;

std::vector<std::string> splitComma(const std::string& text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size() && !text.empty()) {
        const auto comma = text.find(',', start);
        const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (!item.empty()) items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}

struct FileCloser {
    int fd;
    ~FileCloser() {
        if (fd >= 0) ::close(fd);
    }
};

struct ElfCloser {
    Elf* elf;
    ~ElfCloser() {
        if (elf) elf_end(elf);
    }
};

}  // namespace

PluginRecord parsePluginRecord(const std::string& text) {
    if (text.compare(0, std::char_traits<char>::length(kMagic), kMagic) != 0) {
        throw std::runtime_error("the descriptor section does not start with \"KEEL-PLUGIN 1\"");
    }
    PluginRecord record;
    bool haveAbi = false;
    std::size_t at = std::char_traits<char>::length(kMagic);
    while (at < text.size()) {
        auto end = text.find('\n', at);
        if (end == std::string::npos) end = text.size();
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line.empty()) continue;
        const auto equals = line.find('=');
        if (equals == std::string::npos) throw std::runtime_error("descriptor line without '=': " + line.substr(0, 80));
        const std::string key = line.substr(0, equals);
        const std::string value = line.substr(equals + 1);
        if (key == "abi") {
            if (value.empty() || value.size() > 9 || value.find_first_not_of("0123456789") != std::string::npos) {
                throw std::runtime_error("descriptor abi is not a number: " + value.substr(0, 80));
            }
            record.abiVersion = static_cast<std::uint32_t>(std::stoul(value));
            haveAbi = true;
        } else if (key == "name") {
            record.name = value;
        } else if (key == "version") {
            record.version = value;
        } else if (key == "sdk") {
            record.sdkVersion = value;
        } else if (key == "fingerprint") {
            record.buildFingerprint = value;
        } else if (key == "description") {
            record.description = value;
        } else if (key == "requires") {
            record.requirements = splitComma(value);
        }
        // Other keys: written by a newer SDK, ignored.
    }
    if (!haveAbi) throw std::runtime_error("the descriptor has no abi");
    if (record.name.empty()) throw std::runtime_error("the descriptor has no name");
    return record;
}

namespace {

// The descriptor of an opened ELF image; `what` names it in errors ("plugin file <path>").
PluginRecord recordOf(Elf* elf, const std::string& what) {
    if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) throw std::runtime_error(what + " is not an ELF file");
    GElf_Ehdr header;
    if (gelf_getehdr(elf, &header) == nullptr || header.e_type != ET_DYN) {
        throw std::runtime_error(what + " is not an ELF shared object");
    }
    std::size_t names = 0;
    if (elf_getshdrstrndx(elf, &names) != 0) throw std::runtime_error(what + " has no section names");
    for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
        GElf_Shdr sectionHeader;
        if (gelf_getshdr(section, &sectionHeader) == nullptr) continue;
        const char* name = elf_strptr(elf, names, sectionHeader.sh_name);
        if (name == nullptr || std::string(name) != ".keel_plugin") continue;
        if (sectionHeader.sh_type != SHT_PROGBITS || sectionHeader.sh_size == 0 || sectionHeader.sh_size > kMaxRecord) {
            throw std::runtime_error(what + " has a malformed .keel_plugin section");
        }
        Elf_Data* data = elf_getdata(section, nullptr);
        if (data == nullptr || data->d_buf == nullptr || data->d_size == 0 || data->d_size > kMaxRecord) {
            throw std::runtime_error(what + " has an unreadable .keel_plugin section");
        }
        const char* bytes = static_cast<const char*>(data->d_buf);
        std::string text(bytes, data->d_size);
        text = text.substr(0, text.find('\0'));
        try {
            return parsePluginRecord(text);
        } catch (const std::exception& error) {
            throw std::runtime_error(what + ": " + error.what());
        }
    }
    throw std::runtime_error(what +
                             " has no Keel descriptor section (.keel_plugin): it is not a Keel plugin, or it was "
                             "built with an SDK older than 0.4; rebuild it against this SDK");
}

void initialiseLibelf() {
    if (elf_version(EV_CURRENT) == EV_NONE) throw std::runtime_error("libelf cannot be initialised");
}

}  // namespace

PluginRecord readPluginRecord(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("plugin file " + path + " cannot be read");
    FileCloser closeFile{fd};
    initialiseLibelf();
    // ELF_C_READ reads the file; nothing is mapped executable and no code of the file runs.
    ElfCloser elf{elf_begin(fd, ELF_C_READ, nullptr)};
    return recordOf(elf.elf, "plugin file " + path);
}

PluginRecord readPluginRecordFromImage(std::string image) {
    initialiseLibelf();
    ElfCloser elf{elf_memory(image.data(), image.size())};
    return recordOf(elf.elf, "plugin image");
}

void checkTrustedPluginFile(const std::string& path, const std::vector<std::string>& trustedDirectories) {
    char resolved[PATH_MAX];
    if (::realpath(path.c_str(), resolved) == nullptr) throw std::runtime_error("plugin file " + path + " does not exist");
    const std::string real = resolved;
    const auto slash = real.rfind('/');
    const std::string directory = slash == 0 ? "/" : real.substr(0, slash);
    bool inside = false;
    for (const auto& trusted : trustedDirectories) {
        char trustedReal[PATH_MAX];
        if (trusted.empty() || ::realpath(trusted.c_str(), trustedReal) == nullptr) continue;
        const std::string root = trustedReal;
        if (directory == root || directory.rfind(root + "/", 0) == 0) inside = true;
    }
    if (!inside) {
        throw std::runtime_error("plugin file " + real +
                                 " is outside plugins.dir and plugins.allowed_dirs; copy it there or list its "
                                 "directory in plugins.allowed_dirs");
    }
    struct stat file {};
    struct stat folder {};
    if (::stat(real.c_str(), &file) != 0 || !S_ISREG(file.st_mode)) {
        throw std::runtime_error("plugin file " + real + " is not a regular file");
    }
    if (file.st_uid != 0 && file.st_uid != ::geteuid()) {
        throw std::runtime_error("plugin file " + real + " is owned by uid " + std::to_string(file.st_uid) +
                                 ", neither root nor the user keel runs as");
    }
    if ((file.st_mode & S_IWOTH) != 0) {
        throw std::runtime_error("plugin file " + real + " is writable by other users (chmod o-w)");
    }
    if (::stat(directory.c_str(), &folder) == 0 && (folder.st_mode & S_IWOTH) != 0 && (folder.st_mode & S_ISVTX) == 0) {
        throw std::runtime_error("plugin directory " + directory + " is writable by other users (chmod o-w)");
    }
}

}  // namespace keel::host
