// Configuration files: .ini and .properties parsing with the file and line of every value, the
// messages for malformed lines, the conf.d listing, and a bad host value reported end to end.
#include "config_files.h"

#include <Poco/File.h>
#include <Poco/Path.h>
#include <Poco/TemporaryFile.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "host_settings.h"

namespace keel::host {
namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string valueOf(const ConfigStore& store, const std::string& key) {
    const auto entry = store.lookup(key);
    return entry ? entry->value : "<unset>";
}

std::string sourceOf(const ConfigStore& store, const std::string& key) {
    const auto entry = store.lookup(key);
    return entry ? entry->source.description : "<unset>";
}

// The ConfigError message of loading `text`, "<loaded>" when it loads.
std::string loadError(const std::string& text, const std::string& name, bool properties) {
    ConfigStore store;
    try {
        loadConfigText(text, name, properties, store);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "<loaded>";
}

// --- .ini -----------------------------------------------------------------------------------

TEST(IniConfigText, PrefixesKeysWithTheirSection) {
    ConfigStore store;
    loadConfigText("[server]\nport = 8081\nhost=127.0.0.1\n[log]\nlevel = debug\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "server.port"), "8081");
    EXPECT_EQ(valueOf(store, "server.host"), "127.0.0.1");
    EXPECT_EQ(valueOf(store, "log.level"), "debug");
}

TEST(ConfigFileSources, AreEveryFileReadInReadingOrderEvenWithoutKeysAndClearedWithTheFiles) {
    ConfigStore store;
    loadConfigText("[server]\nport = 1\n", "/etc/keel/keel.ini", false, store);
    loadConfigText("; only a comment\n", "/etc/keel/conf.d/10-empty.ini", false, store);
    loadConfigText("server.port = 2\n", "/etc/keel/conf.d/20-port.properties", true, store);
    EXPECT_EQ(store.fileSources(), (std::vector<std::string>{"/etc/keel/keel.ini", "/etc/keel/conf.d/10-empty.ini",
                                                              "/etc/keel/conf.d/20-port.properties"}));
    store.clearFiles();
    EXPECT_TRUE(store.fileSources().empty());
}

TEST(IniConfigText, KeepsKeysBeforeTheFirstSectionUnprefixed) {
    ConfigStore store;
    loadConfigText("plugins.list = health, hello\n[ server ]\nport = 1\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "plugins.list"), "health, hello");
    EXPECT_EQ(valueOf(store, "server.port"), "1");
}

TEST(IniConfigText, ReportsTheLineOfEachValue) {
    ConfigStore store;
    loadConfigText("; Keel\n[server]\nport = 8081\n\n# timeouts\nread_timeout = 5s\n", "keel.ini", false,
                   store);
    EXPECT_EQ(sourceOf(store, "server.port"), "keel.ini:3");
    EXPECT_EQ(sourceOf(store, "server.read_timeout"), "keel.ini:6");
}

TEST(IniConfigText, SkipsCommentLinesStartingWithSemicolonOrHash) {
    ConfigStore store;
    loadConfigText("[server]\n; port = 1\n  # port = 2\nport = 3\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "server.port"), "3");
    EXPECT_EQ(sourceOf(store, "server.port"), "keel.ini:4");
}

TEST(IniConfigText, StripsTrailingCommentsAfterWhitespace) {
    ConfigStore store;
    loadConfigText("[a]\nx = 5s ; five seconds\ny = on\t# enabled\nz = a;b#c\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "a.x"), "5s");
    EXPECT_EQ(valueOf(store, "a.y"), "on");
    EXPECT_EQ(valueOf(store, "a.z"), "a;b#c");
}

TEST(IniConfigText, RemovesSurroundingQuotesKeepingWhatIsInside) {
    ConfigStore store;
    loadConfigText("[a]\nx = \"  padded ; not a comment \"\ny = 'single'\nz = \"\"\n", "keel.ini", false,
                   store);
    EXPECT_EQ(valueOf(store, "a.x"), "  padded ; not a comment ");
    EXPECT_EQ(valueOf(store, "a.y"), "single");
    EXPECT_EQ(valueOf(store, "a.z"), "");
}

TEST(IniConfigText, RemovesQuotesFromAValueFollowedByAComment) {
    ConfigStore store;
    loadConfigText("[a]\nname = \"Keel Host\" ; shown in logs\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "a.name"), "Keel Host");
}

TEST(IniConfigText, KeepsEverythingAfterTheFirstEqualsSign) {
    ConfigStore store;
    loadConfigText("[database]\nurl = postgres://db/app?sslmode=require\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "database.url"), "postgres://db/app?sslmode=require");
}

TEST(IniConfigText, AcceptsAnEmptyValueAndWindowsLineEndings) {
    ConfigStore store;
    loadConfigText("[plugins]\r\ndir =\r\nlist = health\r\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "plugins.dir"), "");
    EXPECT_EQ(valueOf(store, "plugins.list"), "health");
    EXPECT_EQ(sourceOf(store, "plugins.list"), "keel.ini:3");
}

TEST(IniConfigText, ALaterLineWinsOverAnEarlierOne) {
    ConfigStore store;
    loadConfigText("[server]\nport = 1\nport = 2\n", "keel.ini", false, store);
    EXPECT_EQ(valueOf(store, "server.port"), "2");
    EXPECT_EQ(sourceOf(store, "server.port"), "keel.ini:3");
}

TEST(IniConfigText, RejectsALineWithoutEqualsNamingFileAndLine) {
    const std::string message = loadError("[server]\nport = 1\nhost 127.0.0.1\n", "keel.ini", false);
    EXPECT_TRUE(contains(message, "keel.ini:3")) << message;
    EXPECT_TRUE(contains(message, "key = value")) << message;
    EXPECT_TRUE(contains(message, "host 127.0.0.1")) << message;
}

TEST(IniConfigText, RejectsAnUnclosedOrEmptySectionHeader) {
    const std::string unclosed = loadError("\n[server\nport = 1\n", "keel.ini", false);
    EXPECT_TRUE(contains(unclosed, "keel.ini:2")) << unclosed;
    EXPECT_TRUE(contains(unclosed, "section header")) << unclosed;
    EXPECT_TRUE(contains(loadError("[]\n", "keel.ini", false), "keel.ini:1"));
    EXPECT_TRUE(contains(loadError("[my section]\n", "keel.ini", false), "keel.ini:1"));
}

TEST(IniConfigText, RejectsAnInvalidKeyNamingFileAndLine) {
    const std::string message = loadError("[server]\n\nmax threads = 4\n", "conf.d/threads.ini", false);
    EXPECT_TRUE(contains(message, "conf.d/threads.ini:3")) << message;
    EXPECT_TRUE(contains(message, "'max threads'")) << message;
    EXPECT_TRUE(contains(loadError("= 4\n", "keel.ini", false), "keel.ini:1"));
}

// --- .properties ----------------------------------------------------------------------------

TEST(PropertiesConfigText, ReadsDottedKeysWithEqualsOrColon) {
    ConfigStore store;
    loadConfigText("server.port = 8081\nserver.host: 0.0.0.0\nlog.level=warn\n", "keel.properties", true,
                   store);
    EXPECT_EQ(valueOf(store, "server.port"), "8081");
    EXPECT_EQ(valueOf(store, "server.host"), "0.0.0.0");
    EXPECT_EQ(valueOf(store, "log.level"), "warn");
    EXPECT_EQ(sourceOf(store, "server.host"), "keel.properties:2");
}

TEST(PropertiesConfigText, SkipsCommentsStartingWithHashOrBang) {
    ConfigStore store;
    loadConfigText("# a\n! b\nserver.port = 1\n", "keel.properties", true, store);
    EXPECT_EQ(valueOf(store, "server.port"), "1");
    EXPECT_EQ(sourceOf(store, "server.port"), "keel.properties:3");
}

TEST(PropertiesConfigText, JoinsBackslashContinuationsReportingTheFirstLine) {
    ConfigStore store;
    loadConfigText("# plugins\nplugins.list = health, \\\n    hello, \\\n    inventory\nserver.port = 2\n",
                   "keel.properties", true, store);
    EXPECT_EQ(valueOf(store, "plugins.list"), "health, hello, inventory");
    EXPECT_EQ(sourceOf(store, "plugins.list"), "keel.properties:2");
    EXPECT_EQ(sourceOf(store, "server.port"), "keel.properties:5");
}

TEST(PropertiesConfigText, KeepsAnEqualsSignInAColonSeparatedValue) {
    ConfigStore store;
    loadConfigText("database.url: postgres://db/app?sslmode=require\n", "keel.properties", true, store);
    EXPECT_EQ(valueOf(store, "database.url"), "postgres://db/app?sslmode=require");
}

TEST(PropertiesConfigText, RejectsAContinuationOnTheLastLine) {
    const std::string message = loadError("server.port = 1\nplugins.list = a, \\\n", "keel.properties", true);
    EXPECT_TRUE(contains(message, "keel.properties:2")) << message;
    EXPECT_TRUE(contains(message, "continuation")) << message;
}

TEST(PropertiesConfigText, RejectsALineWithoutSeparatorNamingFileAndLine) {
    const std::string message = loadError("server.port = 1\n\nserver.host\n", "keel.properties", true);
    EXPECT_TRUE(contains(message, "keel.properties:3")) << message;
    EXPECT_TRUE(contains(message, "key = value")) << message;
}

TEST(PropertiesConfigText, HasNoSections) {
    const std::string message = loadError("[server]\n", "keel.properties", true);
    EXPECT_TRUE(contains(message, "keel.properties:1")) << message;
}

// --- files and conf.d -----------------------------------------------------------------------

class ConfigDirectory : public ::testing::Test {
protected:
    ConfigDirectory()
        : directory("/tmp/keel-config-files-" + Poco::Path(Poco::TemporaryFile::tempName()).getFileName()) {
        Poco::File(directory).createDirectories();
    }
    ~ConfigDirectory() override { Poco::File(directory).remove(true); }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = directory + "/" + name;
        std::ofstream(path) << text;
        return path;
    }

    const std::string directory;
};

TEST_F(ConfigDirectory, ListsIniAndPropertiesFilesInLexicalOrder) {
    write("20-logs.properties", "");
    write("10-server.ini", "");
    write("b.INI", "");
    write("notes.txt", "");
    write("keel.ini.bak", "");
    Poco::File(directory + "/30-dir.ini").createDirectories();

    std::vector<std::string> names;
    for (const auto& path : configDirectoryFiles(directory)) {
        EXPECT_EQ(Poco::Path(path).parent().toString(), Poco::Path::forDirectory(directory).toString());
        names.push_back(Poco::Path(path).getFileName());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"10-server.ini", "20-logs.properties", "b.INI"}));
}

TEST_F(ConfigDirectory, ListsNothingForAMissingDirectory) {
    EXPECT_TRUE(configDirectoryFiles(directory + "/absent").empty());
}

TEST_F(ConfigDirectory, LoadsAFileByItsExtensionNamingItsPath) {
    ConfigStore store;
    const std::string ini = write("keel.ini", "[server]\nport = 8081\n");
    const std::string properties = write("extra.properties", "log.level: debug\n");
    loadConfigFile(ini, store);
    loadConfigFile(properties, store);
    EXPECT_EQ(sourceOf(store, "server.port"), ini + ":2");
    EXPECT_EQ(sourceOf(store, "log.level"), properties + ":1");
}

TEST_F(ConfigDirectory, RefusesAFileOfAnotherTypeOrOneThatCannotBeRead) {
    ConfigStore store;
    const std::string yaml = write("keel.yaml", "server: {}\n");
    try {
        loadConfigFile(yaml, store);
        FAIL() << "a .yaml file was loaded";
    } catch (const ConfigError& error) {
        EXPECT_TRUE(contains(error.what(), yaml)) << error.what();
        EXPECT_TRUE(contains(error.what(), ".ini or .properties")) << error.what();
    }
    const std::string missing = directory + "/missing.ini";
    try {
        loadConfigFile(missing, store);
        FAIL() << "a missing file was loaded";
    } catch (const ConfigError& error) {
        EXPECT_TRUE(contains(error.what(), missing)) << error.what();
    }
}

// --- end to end: a bad host value from a file -----------------------------------------------

TEST(HostSettingsFromFile, ABadPortNamesKeyFileLineAndExpectedType) {
    ConfigStore store;
    declareHostSettings(store);
    loadConfigText("; Keel\n[server]\nhost = 0.0.0.0\nport = eighty\n", "/etc/keel/keel.ini", false, store);
    try {
        readHostSettings(store);
        FAIL() << "readHostSettings accepted server.port = eighty";
    } catch (const ConfigError& error) {
        const std::string message = error.what();
        EXPECT_TRUE(contains(message, "server.port")) << message;
        EXPECT_TRUE(contains(message, "/etc/keel/keel.ini:4")) << message;
        EXPECT_TRUE(contains(message, "integer")) << message;
    }
}

TEST(HostSettingsFromFile, ReadsValidValuesFromFileAndClassicAlias) {
    ConfigStore store;
    declareHostSettings(store);
    loadConfigText("[server]\nport = 8081\nread_timeout = 2s\n[plugins]\nlist = health , hello,,\n",
                   "keel.ini", false, store);
    store.setEnvironment({{"SERVER_READ_TIMEOUT", "3s"}});
    const HostSettings settings = readHostSettings(store);
    EXPECT_EQ(settings.publicListener.port, 8081);
    EXPECT_EQ(settings.publicListener.limits.readTimeout, std::chrono::milliseconds(3000));
    EXPECT_EQ(settings.plugins, (std::vector<std::string>{"health", "hello"}));
    EXPECT_EQ(settings.adminListener.port, 9090);
}

}  // namespace
}  // namespace keel::host
