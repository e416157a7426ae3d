// The pure parts of Keel's defences: which Host and Origin the admin API accepts, the token
// file's permissions and rotation, secret redaction, and log lines a client cannot forge.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "admin_access.h"
#include "config_store.h"
#include "database_registry.h"
#include "keel/config.h"
#include "keel/text.h"
#include "log_manager.h"
#include "plugin_file.h"

namespace keel::host {
namespace {

TEST(AdminHost, AddressesLocalhostAndAllowedNamesPassOthersDoNot) {
    EXPECT_TRUE(isAllowedAdminHost("127.0.0.1:9090", {}));
    EXPECT_TRUE(isAllowedAdminHost("10.1.2.3", {}));
    EXPECT_TRUE(isAllowedAdminHost("[::1]:9090", {}));
    EXPECT_TRUE(isAllowedAdminHost("LocalHost:9090", {}));
    EXPECT_TRUE(isAllowedAdminHost("keel-admin.internal:9090", {"keel-admin.internal"}));
    EXPECT_FALSE(isAllowedAdminHost("attacker.example", {}));
    EXPECT_FALSE(isAllowedAdminHost("attacker.example:9090", {"keel-admin.internal"}));
    EXPECT_FALSE(isAllowedAdminHost("127.0.0.1.attacker.example", {}));
    EXPECT_FALSE(isAllowedAdminHost("[::1", {}));
}

TEST(AdminOrigin, OnlyTheListenersOwnOriginOrAListedOne) {
    AdminAccessRules rules;
    EXPECT_TRUE(isAllowedAdminOrigin("http://127.0.0.1:9090", "127.0.0.1:9090", rules));
    EXPECT_FALSE(isAllowedAdminOrigin("https://127.0.0.1:9090", "127.0.0.1:9090", rules)) << "scheme differs";
    EXPECT_FALSE(isAllowedAdminOrigin("http://evil.example", "127.0.0.1:9090", rules));
    EXPECT_FALSE(isAllowedAdminOrigin("null", "127.0.0.1:9090", rules));
    EXPECT_FALSE(isAllowedAdminOrigin("http://127.0.0.1:9091", "127.0.0.1:9090", rules)) << "port differs";
    rules.tls = true;
    EXPECT_TRUE(isAllowedAdminOrigin("https://127.0.0.1:9090", "127.0.0.1:9090", rules));
    rules.allowedOrigins = {"https://console.example"};
    EXPECT_TRUE(isAllowedAdminOrigin("https://console.example", "127.0.0.1:9090", rules));
}

TEST(AdminHost, LoopbackAddresses) {
    EXPECT_TRUE(isLoopbackAddress("127.0.0.1"));
    EXPECT_TRUE(isLoopbackAddress("127.8.9.10"));
    EXPECT_TRUE(isLoopbackAddress("::1"));
    EXPECT_TRUE(isLoopbackAddress("localhost"));
    EXPECT_FALSE(isLoopbackAddress("0.0.0.0"));
    EXPECT_FALSE(isLoopbackAddress("::"));
    EXPECT_FALSE(isLoopbackAddress("10.0.0.1"));
    EXPECT_FALSE(isLoopbackAddress("admin.example"));
}

class TokenFile : public ::testing::Test {
protected:
    void TearDown() override { std::remove(path_.c_str()); }
    void write(const std::string& text, mode_t mode) {
        std::ofstream(path_) << text;
        ASSERT_EQ(::chmod(path_.c_str(), mode), 0);
    }
    std::string path_ = "/tmp/keel-token-test-" + std::to_string(::getpid());
};

TEST_F(TokenFile, OthersMustNotReadIt) {
    write("s3cret\n", 0644);
    try {
        readAdminToken(path_);
        FAIL() << "a world-readable token file was accepted";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("admin.token_file"), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("0644"), std::string::npos) << error.what();
        EXPECT_EQ(std::string(error.what()).find("s3cret"), std::string::npos) << "the token leaked into the error";
    }
    write("s3cret\n", 0640);
    EXPECT_EQ(readAdminToken(path_), "s3cret");
}

TEST_F(TokenFile, ARotatedTokenReplacesTheOldOneAndABrokenFileKeepsIt) {
    write("first\n", 0600);
    AdminToken token(path_);
    EXPECT_TRUE(token.accepts("Bearer first"));
    write("second\n", 0600);
    token.reload();
    EXPECT_FALSE(token.accepts("Bearer first"));
    EXPECT_TRUE(token.accepts("Bearer second"));
    write("", 0600);
    EXPECT_THROW(token.reload(), ConfigError);
    EXPECT_TRUE(token.accepts("Bearer second"));
    EXPECT_FALSE(token.accepts("Bearer "));
}

TEST(RedactSecrets, MasksPasswordsWhereverAUrlOrConnectionStringHoldsThem) {
    EXPECT_EQ(redactSecrets("postgresql://keel:s3cret@db:5432/orders"), "postgresql://keel:***@db:5432/orders");
    // A password holding '@' and ':' is masked whole, not cut at the first '@'.
    EXPECT_EQ(redactSecrets("postgresql://keel:p@ss:w@rd@db/orders"), "postgresql://keel:***@db/orders");
    EXPECT_EQ(redactSecrets("postgresql://db/orders?user=keel&password=s3cret&sslmode=require"),
              "postgresql://db/orders?user=keel&password=***&sslmode=require");
    EXPECT_EQ(redactSecrets("host=db user=keel password='a b\\' c' dbname=orders"),
              "host=db user=keel password=*** dbname=orders");
    EXPECT_EQ(redactSecrets("database default: postgresql://u:x@h/d (postgresql)"),
              "database default: postgresql://u:***@h/d (postgresql)");
    EXPECT_EQ(redactSecrets("https://inventory.example/reserve?token=abc"), "https://inventory.example/reserve?token=***");
    EXPECT_EQ(redactSecrets("sqlite:keel.db"), "sqlite:keel.db");
    EXPECT_EQ(redactSecrets("postgresql://keel@db/orders"), "postgresql://keel@db/orders");
}

TEST(LogEscaping, ControlCharactersAndInvalidUtf8CannotForgeLines) {
    EXPECT_EQ(logEscaped("GET\x1b[31m /x\nfake line"), "GET\\x1b[31m /x\\x0afake line");
    EXPECT_EQ(logEscaped("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(logEscaped("bad\xff\xfe"), "bad\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(logEscaped("\xc0\xaf"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "overlong '/'";
    // Printable runs are copied whole: what sits at their edges is still escaped.
    EXPECT_EQ(logEscaped("\x7f" "abc\x7f"), "\\x7fabc\\x7f");
    EXPECT_EQ(logEscaped("\ta b~\r"), "\\x09a b~\\x0d");
    EXPECT_EQ(logEscaped("route=/hello/{name} status=200"), "route=/hello/{name} status=200");
    EXPECT_EQ(logEscaped(""), "");
    // What the log formatter copies without calling logEscaped() at all.
    EXPECT_TRUE(isPrintableAscii(' ') && isPrintableAscii('~'));
    EXPECT_FALSE(isPrintableAscii('\x1f') || isPrintableAscii('\x7f') || isPrintableAscii('\xc3'));
    EXPECT_EQ(jsonEscaped("a\"b\x01\xff"), "a\\\"b\\u0001\xEF\xBF\xBD");
}

TEST(JsonEscaping, PlainRunsAreCopiedAndTheirEdgesStillEscaped) {
    EXPECT_EQ(jsonEscaped("\\abc\\"), "\\\\abc\\\\");
    EXPECT_EQ(jsonEscaped("\"/hello/{name}\"\n"), "\\\"/hello/{name}\\\"\\n");
    EXPECT_EQ(jsonEscaped("\x7f" "caf\xc3\xa9\x1f"), "\\u007fcaf\xc3\xa9\\u001f");
    EXPECT_EQ(jsonString(""), "\"\"");
    // The append forms add to what the caller has already built.
    std::string out = "{\"id\":";
    appendJsonString(out, "o-1\"");
    out += ',';
    appendJsonEscaped(out, "a\tb");
    EXPECT_EQ(out, "{\"id\":\"o-1\\\"\",a\\tb");
    EXPECT_EQ(jsonString("ok\xff"), "\"ok\xEF\xBF\xBD\"");
}

TEST(PluginRecordParser, ReadsTheFieldsAndRefusesWhatIsNotARecord) {
    const auto record = parsePluginRecord(
        "KEEL-PLUGIN 1\nabi=3\nname=orders\nversion=1.2.0\nsdk=0.4.0\nfingerprint=gcc-12;x\n"
        "description=Orders API\nrequires=resilience,health\nfuture_key=ignored\n");
    EXPECT_EQ(record.abiVersion, 3u);
    EXPECT_EQ(record.name, "orders");
    EXPECT_EQ(record.version, "1.2.0");
    EXPECT_EQ(record.buildFingerprint, "gcc-12;x");
    EXPECT_EQ(record.requirements, (std::vector<std::string>{"resilience", "health"}));
    EXPECT_TRUE(parsePluginRecord("KEEL-PLUGIN 1\nabi=3\nname=x\nrequires=\n").requirements.empty());
    EXPECT_THROW(parsePluginRecord(""), std::runtime_error);
    EXPECT_THROW(parsePluginRecord("KEEL-PLUGIN 2\nabi=3\nname=x\n"), std::runtime_error);
    EXPECT_THROW(parsePluginRecord("KEEL-PLUGIN 1\nname=x\n"), std::runtime_error) << "no abi";
    EXPECT_THROW(parsePluginRecord("KEEL-PLUGIN 1\nabi=99999999999\nname=x\n"), std::runtime_error);
    EXPECT_THROW(parsePluginRecord("KEEL-PLUGIN 1\nabi=-1\nname=x\n"), std::runtime_error);
    EXPECT_THROW(parsePluginRecord("KEEL-PLUGIN 1\nabi=3\n"), std::runtime_error) << "no name";
    EXPECT_THROW(parsePluginRecord("KEEL-PLUGIN 1\nabi=3\nname=x\ngarbage\n"), std::runtime_error);
}

TEST(PluginRecordReader, RefusesFilesThatAreNotKeelPlugins) {
    EXPECT_THROW(readPluginRecord("/nonexistent/plugin.so"), std::runtime_error);
    EXPECT_THROW(readPluginRecord("/etc/hostname"), std::runtime_error) << "not ELF";
    try {
        readPluginRecord("/proc/self/exe");  // an ELF file without the section
        FAIL() << "a file without a descriptor section was read as a plugin";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("no Keel descriptor section"), std::string::npos) << error.what();
    }
}

TEST(DatabasePasswordFile, SuppliesThePasswordAndNeverShowsIt) {
    const std::string file = "/tmp/keel-db-password-" + std::to_string(::getpid());
    std::ofstream(file) << "s3cret-db-pass\n";
    ::chmod(file.c_str(), 0600);
    DatabaseSettings settings;
    settings.url = "postgresql://keel@db.example:5432/orders";
    settings.passwordFile = file;
    const auto target = parseDatabaseUrl(settings.url, settings);
    EXPECT_NE(target.connectionString.find("password=s3cret-db-pass"), std::string::npos);
    EXPECT_EQ(redactSecrets(target.connectionString).find("s3cret-db-pass"), std::string::npos);
    settings.url = "postgresql://keel:other@db.example/orders";
    EXPECT_THROW(parseDatabaseUrl(settings.url, settings), ConfigError) << "two passwords";
    settings.url = "postgresql://keel@db.example/orders";
    settings.passwordFile = "/nonexistent/password";
    try {
        parseDatabaseUrl(settings.url, settings);
        FAIL() << "a missing password file was accepted";
    } catch (const ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("database.password_file"), std::string::npos) << error.what();
    }
    std::remove(file.c_str());
}

}  // namespace
}  // namespace keel::host
