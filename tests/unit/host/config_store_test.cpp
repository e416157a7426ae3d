// Layered configuration: typed validation of one value, the precedence of default, file,
// environment and --define, the messages operators read, unknown keys, secrets and Settings.
#include "config_store.h"

#include <gtest/gtest.h>

#include <string>

namespace keel::host {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The ConfigError message of validating `text`, "<accepted>" when it is valid.
std::string rejection(const ConfigKey& key, const std::string& text,
                      const std::string& source = "keel.ini:3") {
    try {
        validateConfigValue(key, "server." + key.name, text, ConfigSource{source});
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "<accepted>";
}

std::string settingsError(const ConfigStore& store, const std::string& section) {
    try {
        store.settings(section);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "<accepted>";
}

// --- parseDuration and parseBoolean ---------------------------------------------------------

TEST(ParseDuration, ReadsMillisecondsSecondsMinutesAndHours) {
    EXPECT_EQ(parseDuration("250ms"), 250ms);
    EXPECT_EQ(parseDuration("5s"), 5000ms);
    EXPECT_EQ(parseDuration("1m"), 60000ms);
    EXPECT_EQ(parseDuration("2h"), 7200000ms);
    EXPECT_EQ(parseDuration(" 5s "), 5000ms);
    EXPECT_EQ(parseDuration("0"), 0ms);
}

TEST(ParseDuration, RejectsTextThatIsNotANumberWithAUnit) {
    for (const char* text : {"", "s", "ms", "5x", "5 s", "1.5s", "-5s", "five seconds", "5S", "1d"}) {
        EXPECT_THROW(parseDuration(text), std::invalid_argument) << "'" << text << "'";
    }
}

TEST(ParseBoolean, AcceptsTheUsualSpellingsInAnyCase) {
    for (const char* text : {"true", "TRUE", "yes", "on", "1", " On "})
        EXPECT_TRUE(parseBoolean(text)) << text;
    for (const char* text : {"false", "False", "no", "off", "0"}) EXPECT_FALSE(parseBoolean(text)) << text;
    EXPECT_THROW(parseBoolean("maybe"), std::invalid_argument);
    EXPECT_THROW(parseBoolean(""), std::invalid_argument);
}

// --- validateConfigValue --------------------------------------------------------------------

TEST(ValidateConfigValue, ReturnsCanonicalTextForValidValues) {
    const ConfigSource source{"keel.ini:1"};
    EXPECT_EQ(validateConfigValue(ConfigKey::integer("port", 1, ""), "server.port", " 8081 ", source),
              "8081");
    EXPECT_EQ(validateConfigValue(ConfigKey::boolean("on", false, ""), "server.on", "Yes", source), "true");
    EXPECT_EQ(validateConfigValue(ConfigKey::duration("wait", "1s", ""), "server.wait", "250ms", source),
              "250ms");
    EXPECT_EQ(validateConfigValue(ConfigKey::number("rate", "0.5", ""), "server.rate", "0.25", source),
              "0.25");
    EXPECT_EQ(validateConfigValue(ConfigKey::string("name", "", ""), "server.name", "  spaced ", source),
              "  spaced ");
}

TEST(ValidateConfigValue, RejectionNamesKeyValueSourceAndExpectedForm) {
    const std::string message = rejection(ConfigKey::integer("port", 8080, "").range(0, 65535), "eighty");
    EXPECT_EQ(message, "server.port = \"eighty\" (from keel.ini:3): expected an integer between 0 and 65535");
}

TEST(ValidateConfigValue, RejectsEachTypesMalformedValuesWithItsExpectedForm) {
    EXPECT_TRUE(contains(rejection(ConfigKey::integer("n", 1, ""), "1.5"), "expected an integer"));
    EXPECT_TRUE(contains(rejection(ConfigKey::integer("n", 1, ""), ""), "expected an integer"));
    EXPECT_TRUE(contains(rejection(ConfigKey::number("r", "1", ""), "fast"), "expected a number"));
    EXPECT_TRUE(contains(rejection(ConfigKey::number("r", "1", ""), "nan"), "expected a number"));
    EXPECT_TRUE(contains(rejection(ConfigKey::boolean("b", true, ""), "maybe"), "expected a boolean"));
    EXPECT_TRUE(contains(rejection(ConfigKey::duration("d", "1s", ""), "5"),
                         "expected a duration such as 250ms, 5s, 1m or 2h"));
    EXPECT_TRUE(contains(rejection(ConfigKey::string("level", "info", "").oneOf({"info", "warn"}), "loud"),
                         "expected one of: info, warn"));
}

// Poco's number parser skips ',' as a thousands separator by default; a port written as "80,81"
// (perhaps meant as a list) must be refused, not read as 8081.
TEST(ValidateConfigValue, RejectsNumbersContainingCommas) {
    EXPECT_NE(rejection(ConfigKey::integer("port", 8080, "").range(0, 65535), "80,81"), "<accepted>");
    EXPECT_NE(rejection(ConfigKey::integer("n", 1, ""), "1,000"), "<accepted>");
    EXPECT_NE(rejection(ConfigKey::number("ratio", "0.5", ""), "0,5"), "<accepted>");
}

TEST(ValidateConfigValue, EnforcesInclusiveRanges) {
    const auto port = ConfigKey::integer("port", 8080, "").range(1, 65535);
    EXPECT_EQ(rejection(port, "1"), "<accepted>");
    EXPECT_EQ(rejection(port, "65535"), "<accepted>");
    EXPECT_TRUE(contains(rejection(port, "0"), "between 1 and 65535"));
    EXPECT_TRUE(contains(rejection(port, "65536"), "between 1 and 65535"));

    const auto workers = ConfigKey::integer("workers", 4, "").atLeast(1);
    EXPECT_TRUE(contains(rejection(workers, "0"), "an integer of at least 1"));
}

TEST(ValidateConfigValue, ChecksDurationRangesInMilliseconds) {
    const auto timeout = ConfigKey::duration("timeout", "5s", "").range(100, 60000);
    EXPECT_EQ(rejection(timeout, "100ms"), "<accepted>");
    EXPECT_EQ(rejection(timeout, "1m"), "<accepted>");
    const std::string tooLong = rejection(timeout, "2m");
    EXPECT_TRUE(contains(tooLong, "between 100ms and 60000ms")) << tooLong;
    EXPECT_TRUE(contains(rejection(timeout, "99ms"), "between 100ms and 60000ms"));
}

// The expected form is something an operator can copy into the file: "between 1ms and
// 3600000ms", never "3.6e+06ms" (which parseDuration itself refuses).
TEST(ValidateConfigValue, WritesLargeBoundsWithoutExponentNotation) {
    const auto timeout = ConfigKey::duration("read_timeout", "30s", "").range(1, 3600.0 * 1000.0);
    const std::string message = rejection(timeout, "0s");
    EXPECT_TRUE(contains(message, "3600000ms")) << message;
    EXPECT_FALSE(contains(message, "e+")) << message;

    const std::string bodySize = rejection(ConfigKey::integer("max_body_size", 1, "").range(0, 1e10), "-1");
    EXPECT_TRUE(contains(bodySize, "10000000000")) << bodySize;
}

TEST(ValidateConfigValue, RedactsASecretValueInItsMessage) {
    const auto pin = ConfigKey::integer("pin", 0, "").secretValue();
    const std::string message = rejection(pin, "hunter2");
    EXPECT_TRUE(contains(message, "server.pin = <redacted>")) << message;
    EXPECT_FALSE(contains(message, "hunter2")) << message;
    EXPECT_TRUE(contains(message, "keel.ini:3")) << message;
    EXPECT_TRUE(contains(message, "expected an integer")) << message;
}

// --- ConfigStore layering -------------------------------------------------------------------

class ConfigStoreTest : public ::testing::Test {
protected:
    ConfigStoreTest() {
        store.declare("keel", "server.port", ConfigKey::integer("port", 8080, "Port.").range(0, 65535));
        store.declare("keel", "server.read_timeout",
                      ConfigKey::duration("read_timeout", "30s", "Read timeout."));
        store.addAlias("SERVER_PORT", "server.port");
    }

    std::string portValue() const {
        return store.lookup("server.port") ? store.lookup("server.port")->value : "-";
    }
    std::string portSource() const {
        return store.lookup("server.port") ? store.lookup("server.port")->source.description : "-";
    }

    ConfigStore store;
};

TEST_F(ConfigStoreTest, UsesTheDeclaredDefaultWhenNothingIsSet) {
    EXPECT_FALSE(store.lookup("server.port").has_value());
    EXPECT_EQ(store.settings("server").getInt("port"), 8080);
    const auto values = store.effective();
    ASSERT_FALSE(values.empty());
    for (const auto& value : values) {
        if (value.key == "server.port") {
            EXPECT_EQ(value.value, "8080");
            EXPECT_EQ(value.source, "default");
        }
    }
}

TEST_F(ConfigStoreTest, FileOverridesTheDefaultAndALaterFileWins) {
    store.setFromFile("server.port", "8081", ConfigSource{"keel.ini:2"});
    EXPECT_EQ(store.settings("server").getInt("port"), 8081);
    store.setFromFile("server.port", "8082", ConfigSource{"conf.d/10-port.ini:1"});
    EXPECT_EQ(portValue(), "8082");
    EXPECT_EQ(portSource(), "conf.d/10-port.ini:1");
}

TEST_F(ConfigStoreTest, ClassicAliasVariableOverridesTheFile) {
    store.setFromFile("server.port", "8081", ConfigSource{"keel.ini:2"});
    store.setEnvironment({{"SERVER_PORT", "8083"}});
    EXPECT_EQ(portValue(), "8083");
    EXPECT_EQ(portSource(), "environment variable SERVER_PORT");
}

TEST_F(ConfigStoreTest, KeelVariableOverridesTheClassicAlias) {
    store.setFromFile("server.port", "8081", ConfigSource{"keel.ini:2"});
    store.setEnvironment({{"SERVER_PORT", "8083"}, {"KEEL_SERVER_PORT", "8084"}});
    EXPECT_EQ(portValue(), "8084");
    EXPECT_EQ(portSource(), "environment variable KEEL_SERVER_PORT");
}

TEST_F(ConfigStoreTest, DefineOverridesEveryOtherLayer) {
    store.setFromFile("server.port", "8081", ConfigSource{"keel.ini:2"});
    store.setEnvironment({{"SERVER_PORT", "8083"}, {"KEEL_SERVER_PORT", "8084"}});
    store.setDefine("server.port", "8085");
    EXPECT_EQ(portValue(), "8085");
    EXPECT_TRUE(contains(portSource(), "--define")) << portSource();
    EXPECT_EQ(store.settings("server").getInt("port"), 8085);
}

TEST_F(ConfigStoreTest, IgnoresVariablesThatCannotConfigureKeel) {
    store.setEnvironment({{"PORT", "1"}, {"HOME", "/root"}});
    EXPECT_FALSE(store.lookup("server.port").has_value());
    EXPECT_TRUE(store.unknownKeyWarnings().empty());
}

TEST_F(ConfigStoreTest, EnvironmentReachesKeysDeclaredLater) {
    store.setEnvironment({{"KEEL_CACHE_SIZE", "64"}});
    store.declare("cache", "cache.size", ConfigKey::integer("size", 16, "Entries."));
    EXPECT_EQ(store.settings("cache").getInt("size"), 64);
}

TEST_F(ConfigStoreTest, NamesEnvironmentVariablesAfterTheKey) {
    EXPECT_EQ(ConfigStore::environmentName("server.read_timeout"), "KEEL_SERVER_READ_TIMEOUT");
    EXPECT_EQ(ConfigStore::environmentName("resilience.rate-limit.rps"), "KEEL_RESILIENCE_RATE_LIMIT_RPS");
}

TEST_F(ConfigStoreTest, FileErrorNamesKeyFileLineAndExpectedForm) {
    store.setFromFile("server.port", "eighty", ConfigSource{"/etc/keel/keel.ini:12"});
    const std::string message = settingsError(store, "server");
    EXPECT_TRUE(contains(message, "server.port")) << message;
    EXPECT_TRUE(contains(message, "\"eighty\"")) << message;
    EXPECT_TRUE(contains(message, "/etc/keel/keel.ini:12")) << message;
    EXPECT_TRUE(contains(message, "expected an integer between 0 and 65535")) << message;
}

TEST_F(ConfigStoreTest, EnvironmentErrorNamesTheVariable) {
    store.setEnvironment({{"SERVER_PORT", "http"}});
    const std::string aliasMessage = settingsError(store, "server");
    EXPECT_TRUE(contains(aliasMessage, "server.port")) << aliasMessage;
    EXPECT_TRUE(contains(aliasMessage, "environment variable SERVER_PORT")) << aliasMessage;
    EXPECT_TRUE(contains(aliasMessage, "expected an integer")) << aliasMessage;

    store.setEnvironment({{"KEEL_SERVER_READ_TIMEOUT", "soon"}});
    const std::string keelMessage = settingsError(store, "server");
    EXPECT_TRUE(contains(keelMessage, "server.read_timeout")) << keelMessage;
    EXPECT_TRUE(contains(keelMessage, "environment variable KEEL_SERVER_READ_TIMEOUT")) << keelMessage;
    EXPECT_TRUE(contains(keelMessage, "expected a duration")) << keelMessage;
}

TEST_F(ConfigStoreTest, DefineErrorNamesTheDefineOption) {
    store.setDefine("server.port", "99999");
    const std::string message = settingsError(store, "server");
    EXPECT_TRUE(contains(message, "server.port")) << message;
    EXPECT_TRUE(contains(message, "--define")) << message;
    EXPECT_TRUE(contains(message, "between 0 and 65535")) << message;
}

TEST_F(ConfigStoreTest, ABadDefaultIsReportedAsTheOwnersDefault) {
    store.declare("broken", "broken.limit", ConfigKey::integer("limit", 5, "").range(10, 20));
    const std::string message = settingsError(store, "broken");
    EXPECT_TRUE(contains(message, "broken.limit")) << message;
    EXPECT_TRUE(contains(message, "default of broken")) << message;
}

TEST_F(ConfigStoreTest, ValidateAllReturnsEveryError) {
    store.setFromFile("server.port", "eighty", ConfigSource{"keel.ini:2"});
    store.setFromFile("server.read_timeout", "forever", ConfigSource{"keel.ini:3"});
    const auto errors = store.validateAll();
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_TRUE(contains(errors[0] + errors[1], "keel.ini:2"));
    EXPECT_TRUE(contains(errors[0] + errors[1], "keel.ini:3"));

    store.setFromFile("server.port", "80", ConfigSource{"keel.ini:2"});
    store.setFromFile("server.read_timeout", "5s", ConfigSource{"keel.ini:3"});
    EXPECT_TRUE(store.validateAll().empty());
}

TEST_F(ConfigStoreTest, RejectsASecondOwnerOfAKey) {
    EXPECT_THROW(store.declare("intruder", "server.port", ConfigKey::integer("port", 1, "")),
                 std::invalid_argument);
    EXPECT_NO_THROW(store.declare("keel", "server.port", ConfigKey::integer("port", 8080, "")));
}

TEST_F(ConfigStoreTest, UndeclaringAnOwnerDropsItsKeys) {
    store.declare("cache", "cache.size", ConfigKey::integer("size", 16, ""));
    store.undeclareOwner("cache");
    EXPECT_FALSE(store.settings("cache").has("size"));
    EXPECT_NO_THROW(store.declare("other", "cache.size", ConfigKey::integer("size", 16, "")));
}

TEST_F(ConfigStoreTest, ClearFilesDropsTheFileLayerButKeepsTheEnvironment) {
    store.setFromFile("server.port", "8081", ConfigSource{"keel.ini:2"});
    store.setEnvironment({{"KEEL_SERVER_READ_TIMEOUT", "1s"}});
    store.clearFiles();
    EXPECT_FALSE(store.lookup("server.port").has_value());
    EXPECT_EQ(store.lookup("server.read_timeout")->value, "1s");
}

TEST_F(ConfigStoreTest, ClearFilesKeepsDefinesWhichDoNotChangeWhileTheProcessRuns) {
    store.setFromFile("server.port", "8081", ConfigSource{"keel.ini:2"});
    store.setDefine("server.port", "8085");
    store.clearFiles();
    EXPECT_EQ(portValue(), "8085");
}

// --- unknown keys ---------------------------------------------------------------------------

TEST_F(ConfigStoreTest, WarnsAboutAnUnknownFileKeyNamingTheClosestKey) {
    store.setFromFile("server.prot", "8081", ConfigSource{"keel.ini:4"});
    const auto warnings = store.unknownKeyWarnings();
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_TRUE(contains(warnings[0], "unknown configuration key server.prot")) << warnings[0];
    EXPECT_TRUE(contains(warnings[0], "keel.ini:4")) << warnings[0];
    EXPECT_TRUE(contains(warnings[0], "did you mean server.port?")) << warnings[0];
}

TEST_F(ConfigStoreTest, WarnsAboutAnUnknownKeyWithNoCloseMatch) {
    store.setDefine("telemetry.exporter", "otlp");
    const auto warnings = store.unknownKeyWarnings();
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_TRUE(contains(warnings[0], "telemetry.exporter")) << warnings[0];
    EXPECT_FALSE(contains(warnings[0], "did you mean")) << warnings[0];
}

TEST_F(ConfigStoreTest, WarnsAboutAnUnknownKeelVariableNamingTheClosestVariable) {
    store.setEnvironment({{"KEEL_SERVER_PROT", "8081"}});
    const auto warnings = store.unknownKeyWarnings();
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_TRUE(contains(warnings[0], "KEEL_SERVER_PROT")) << warnings[0];
    EXPECT_TRUE(contains(warnings[0], "did you mean KEEL_SERVER_PORT?")) << warnings[0];
}

TEST_F(ConfigStoreTest, WarnsAboutAClassicAliasWhoseKeyNoPluginDeclares) {
    store.addAlias("DATABASE_URL", "database.url");
    store.setEnvironment({{"DATABASE_URL", "postgres://db"}, {"SERVER_PORT", "8081"}});
    const auto warnings = store.unknownKeyWarnings();
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_TRUE(contains(warnings[0], "database.url")) << warnings[0];
    EXPECT_TRUE(contains(warnings[0], "environment variable DATABASE_URL")) << warnings[0];
    EXPECT_FALSE(contains(warnings[0], "postgres://db")) << warnings[0];
}

// BULKHEAD_SIZE feeds every policy's bulkhead: a '*' segment matches one whole segment, and the
// variable wins over the file for each key it feeds.
TEST_F(ConfigStoreTest, AWildcardAliasFeedsEveryMatchingKeyOverTheFiles) {
    for (const std::string policy : {"default", "orders"}) {
        store.declare("resilience", "resilience.policy." + policy + ".max_concurrent",
                      ConfigKey::integer("max_concurrent", 50, "Bulkhead."));
    }
    store.declare("resilience", "resilience.max_concurrent", ConfigKey::integer("max_concurrent", 1, "Not a policy."));
    store.addAlias("BULKHEAD_SIZE", "resilience.policy.*.max_concurrent");
    store.setFromFile("resilience.policy.orders.max_concurrent", "40", ConfigSource{"keel.ini:9"});
    store.setEnvironment({{"BULKHEAD_SIZE", "3"}});
    for (const std::string key : {"resilience.policy.default.max_concurrent", "resilience.policy.orders.max_concurrent"}) {
        ASSERT_TRUE(store.lookup(key)) << key;
        EXPECT_EQ(store.lookup(key)->value, "3") << key;
        EXPECT_EQ(store.lookup(key)->source.description, "environment variable BULKHEAD_SIZE") << key;
    }
    EXPECT_FALSE(store.lookup("resilience.max_concurrent")) << "one segment for '*', never none or two";
    EXPECT_FALSE(store.lookup("resilience.policy.a.b.max_concurrent"));
    EXPECT_TRUE(store.unknownKeyWarnings().empty());
}

// A listed plugin that failed to load declared nothing: its keys are not reported as unknown
// (its load error says what is wrong), while a typo under a plugin that did load still is.
TEST_F(ConfigStoreTest, KeysOfAListedPluginThatDeclaredNothingAreNotUnknown) {
    store.declare("hello", "hello.greeting", ConfigKey::string("greeting", "Hi", "Greeting."));
    store.setFromFile("orders.inventory.url", "http://inventory", ConfigSource{"keel.ini:3"});
    store.setFromFile("hello.greting", "Hey", ConfigSource{"keel.ini:5"});
    store.setEnvironment({{"KEEL_ORDERS_PAGE_SIZE", "10"}});
    const auto warnings = store.unknownKeyWarnings({"orders", "hello"});
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_TRUE(contains(warnings[0], "hello.greting")) << warnings[0];
    // Not listed: the same keys are unknown.
    EXPECT_EQ(store.unknownKeyWarnings({"hello"}).size(), 3u);
}

TEST_F(ConfigStoreTest, ClosestKeyIsEmptyWhenNothingIsClose) {
    EXPECT_EQ(store.closestKey("server.portt"), "server.port");
    EXPECT_EQ(store.closestKey("metrics"), "");
}

// --- secrets --------------------------------------------------------------------------------

TEST_F(ConfigStoreTest, RedactsSecretsInEffectiveValues) {
    store.declare("db", "db.password", ConfigKey::string("password", "", "Password.").secretValue());
    store.declare("db", "db.user", ConfigKey::string("user", "keel", "User."));
    store.setFromFile("db.password", "s3cr3t", ConfigSource{"keel.ini:9"});
    bool seen = false;
    for (const auto& value : store.effective()) {
        EXPECT_FALSE(contains(value.value, "s3cr3t")) << value.key;
        if (value.key == "db.password") {
            seen = true;
            EXPECT_EQ(value.value, "<redacted>");
            EXPECT_EQ(value.source, "keel.ini:9");
            EXPECT_EQ(value.owner, "db");
            EXPECT_EQ(value.type, "string");
        }
        if (value.key == "db.user") {
            EXPECT_EQ(value.value, "keel");
        }
    }
    EXPECT_TRUE(seen);
    // The code that needs the secret still reads it.
    EXPECT_EQ(store.settings("db").getString("password"), "s3cr3t");
}

TEST_F(ConfigStoreTest, RedactsSecretsInErrorMessages) {
    store.declare("db", "db.token", ConfigKey::string("token", "a", "").oneOf({"a", "b"}).secretValue());
    store.setEnvironment({{"KEEL_DB_TOKEN", "tok-123456"}});
    const std::string message = settingsError(store, "db");
    EXPECT_TRUE(contains(message, "db.token")) << message;
    EXPECT_TRUE(contains(message, "KEEL_DB_TOKEN")) << message;
    EXPECT_FALSE(contains(message, "tok-123456")) << message;
    for (const auto& error : store.validateAll()) EXPECT_FALSE(contains(error, "tok-123456")) << error;
}

// --- Settings -------------------------------------------------------------------------------

TEST(Settings, ReturnsTypedValuesRelativeToTheSection) {
    ConfigStore store;
    store.declare("svc", "svc.name", ConfigKey::string("name", "keel", ""));
    store.declare("svc", "svc.workers", ConfigKey::integer("workers", 4, ""));
    store.declare("svc", "svc.verbose", ConfigKey::boolean("verbose", false, ""));
    store.declare("svc", "svc.ratio", ConfigKey::number("ratio", "0.5", ""));
    store.declare("svc", "svc.timeout", ConfigKey::duration("timeout", "2s", ""));
    store.declare("other", "other.name", ConfigKey::string("name", "x", ""));
    store.setFromFile("svc.verbose", "on", ConfigSource{"keel.ini:1"});

    const Settings settings = store.settings("svc");
    EXPECT_EQ(settings.section(), "svc");
    EXPECT_EQ(settings.getString("name"), "keel");
    EXPECT_EQ(settings.getInt("workers"), 4);
    EXPECT_TRUE(settings.getBool("verbose"));
    EXPECT_DOUBLE_EQ(settings.getDouble("ratio"), 0.5);
    EXPECT_EQ(settings.getDuration("timeout"), 2000ms);
    EXPECT_TRUE(settings.has("workers"));
    EXPECT_FALSE(settings.has("other.name"));
}

TEST(Settings, ReadingAKeyAsTheWrongTypeIsALogicError) {
    const Settings settings("svc", {{"workers", "4"}, {"name", "keel"}},
                            {{"workers", ConfigType::Integer}, {"name", ConfigType::String}});
    EXPECT_THROW(settings.getString("workers"), std::logic_error);
    EXPECT_THROW(settings.getBool("workers"), std::logic_error);
    EXPECT_THROW(settings.getDuration("workers"), std::logic_error);
    EXPECT_THROW(settings.getInt("name"), std::logic_error);
    try {
        settings.getDouble("workers");
        FAIL() << "getDouble on an integer key did not throw";
    } catch (const std::logic_error& error) {
        EXPECT_TRUE(contains(error.what(), "svc.workers")) << error.what();
        EXPECT_TRUE(contains(error.what(), "integer")) << error.what();
    }
}

TEST(Settings, GetListSplitsOnCommasTrimsAndDropsEmptyItems) {
    const Settings settings("svc", {{"plugins", " health, metrics ,,orders\t, "}, {"none", ""}, {"workers", "4"}},
                            {{"plugins", ConfigType::String}, {"none", ConfigType::String},
                             {"workers", ConfigType::Integer}});
    EXPECT_EQ(settings.getList("plugins"), (std::vector<std::string>{"health", "metrics", "orders"}));
    EXPECT_TRUE(settings.getList("none").empty());
    EXPECT_THROW(settings.getList("workers"), std::logic_error);
}

TEST(Settings, ReadingAnUndeclaredKeyIsALogicError) {
    const Settings settings("svc", {}, {});
    try {
        settings.getString("missing");
        FAIL() << "getString on an undeclared key did not throw";
    } catch (const std::logic_error& error) {
        EXPECT_TRUE(contains(error.what(), "svc.missing")) << error.what();
        EXPECT_TRUE(contains(error.what(), "not declared")) << error.what();
    }
}

}  // namespace
}  // namespace keel::host
