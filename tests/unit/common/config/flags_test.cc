#include "common/config/flags.h"

#include <unistd.h>

#include <cstdlib>

#include <catch2/catch.hpp>

namespace strata {
namespace {

struct TestOptions {
  std::string path = "/data";
  int64_t count = 3;
  bool verbose = false;
  std::chrono::milliseconds interval{1000};
  int64_t cap = 1024;
  std::vector<std::string> nodes = {"a:1"};
};

absl::Status ParseArgs(FlagSet& flags, std::vector<std::string> args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return flags.Parse(argv);
}

FlagSet MakeFlags(TestOptions* o) {
  FlagSet f("usage");
  f.String("storageDataPath", &o->path, "where data lives");
  f.Int("count", &o->count, "a count");
  f.Bool("verbose", &o->verbose, "talk more");
  f.Duration("wal.fsyncInterval", &o->interval, "fsync period");
  f.Bytes("cap", &o->cap, "byte cap");
  f.List("storageNode", &o->nodes, "storage nodes");
  return f;
}

TEST_CASE("flags parse the VictoriaMetrics -name=value forms", "[common][flags]") {
  TestOptions o;
  FlagSet f = MakeFlags(&o);
  REQUIRE(ParseArgs(f, {"-storageDataPath=/x", "--count", "7", "-verbose", "-wal.fsyncInterval=1m30s",
                        "-cap=64MiB", "-storageNode=h1:8400,h2:8400", "-storageNode=h3:8400"})
              .ok());
  CHECK(o.path == "/x");
  CHECK(o.count == 7);
  CHECK(o.verbose);
  CHECK(o.interval == std::chrono::milliseconds(90'000));
  CHECK(o.cap == 64 << 20);
  CHECK(o.nodes == std::vector<std::string>{"h1:8400", "h2:8400", "h3:8400"});
}

TEST_CASE("flags reject unknown names and bad values with the flag named", "[common][flags]") {
  TestOptions o;
  FlagSet f = MakeFlags(&o);
  auto st = ParseArgs(f, {"-nope=1"});
  CHECK(std::string(st.message()).find("unknown flag -nope") != std::string::npos);
  FlagSet g = MakeFlags(&o);
  st = ParseArgs(g, {"-count=seven"});
  CHECK(std::string(st.message()).find("-count") != std::string::npos);
  FlagSet h = MakeFlags(&o);
  CHECK_FALSE(ParseArgs(h, {"-wal.fsyncInterval=5parsecs"}).ok());
}

TEST_CASE("flags fall back to STRATA_ environment variables", "[common][flags]") {
  TestOptions o;
  FlagSet f = MakeFlags(&o);
  setenv("STRATA_wal_fsyncInterval", "250ms", 1);
  setenv("STRATA_count", "9", 1);
  REQUIRE(ParseArgs(f, {"-count=2"}).ok());
  unsetenv("STRATA_wal_fsyncInterval");
  unsetenv("STRATA_count");
  CHECK(o.interval == std::chrono::milliseconds(250));
  CHECK(o.count == 2);  // the command line wins
}

TEST_CASE("help lists every flag with its default", "[common][flags]") {
  TestOptions o;
  FlagSet f = MakeFlags(&o);
  REQUIRE(ParseArgs(f, {"-help"}).ok());
  CHECK(f.help_requested());
  std::string help = f.Help();
  CHECK(help.find("-storageDataPath") != std::string::npos);
  CHECK(help.find("(default \"1s\")") != std::string::npos);
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

TEST_CASE("flag values list what was given, from the command line or the environment, else the default",
          "[common][flags]") {
  std::string listen = ":8481";
  int64_t limit = 8;
  std::vector<std::string> nodes;
  bool on = false;
  FlagSet flags("usage");
  flags.String("httpListenAddr", &listen, "address");
  flags.Int("search.maxConcurrentRequests", &limit, "limit");
  flags.List("storageNode", &nodes, "nodes");
  flags.Bool("search.delayedNameRemoval", &on, "switch");
  ::setenv("STRATA_search_maxConcurrentRequests", "3", 1);
  std::vector<std::string> args = {"-storageNode=a:1", "-storageNode=b:2", "-search.delayedNameRemoval"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  REQUIRE(flags.Parse(argv).ok());
  ::unsetenv("STRATA_search_maxConcurrentRequests");
  const std::map<std::string, std::string> values = flags.Values();
  CHECK(values.at("httpListenAddr") == ":8481");
  CHECK(values.at("search.maxConcurrentRequests") == "3");
  CHECK(values.at("storageNode") == "a:1,b:2");
  CHECK(values.at("search.delayedNameRemoval") == "true");
}


TEST_CASE("secret flags show \"secret\" in Values and Help, never their value", "[common][flags][unit]") {
  std::string password;
  std::string key = "default-key";
  std::string token;
  std::string plain;
  FlagSet f("usage");
  f.Secret("httpAuth.password", &password, "a password");
  f.Secret("deleteAuthKey", &key, "a key");
  // Declared with String() by mistake: the name still marks it secret.
  f.String("remoteWrite.bearerToken", &token, "a token");
  f.String("httpListenAddr", &plain, "not a secret");
  REQUIRE(ParseArgs(f, {"-httpAuth.password=hunter2", "-remoteWrite.bearerToken=tok-123", "-httpListenAddr=:80"}).ok());
  CHECK(password == "hunter2");
  CHECK(token == "tok-123");
  auto values = f.Values();
  CHECK(values["httpAuth.password"] == "secret");
  CHECK(values["deleteAuthKey"] == "secret");
  CHECK(values["remoteWrite.bearerToken"] == "secret");
  CHECK(values["httpListenAddr"] == ":80");
  std::string help = f.Help();
  CHECK(help.find("hunter2") == std::string::npos);
  CHECK(help.find("default-key") == std::string::npos);
  CHECK(f.IsSecret("httpAuth.password"));
  CHECK(f.IsSecret("snapshotAuthKey"));
  CHECK_FALSE(f.IsSecret("tlsCertFile"));
}

TEST_CASE("a secret flag reads its value from file:// without the trailing newline", "[common][flags][unit]") {
  char path[] = "/tmp/strata-secret-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, "s3cret\n", 7) == 7);
  close(fd);
  std::string password;
  FlagSet f("usage");
  f.Secret("httpAuth.password", &password, "a password");
  REQUIRE(ParseArgs(f, {std::string("-httpAuth.password=file://") + path}).ok());
  CHECK(password == "s3cret");
  CHECK(f.Values()["httpAuth.password"] == "secret");
  unlink(path);

  FlagSet g("usage");
  g.Secret("httpAuth.password", &password, "a password");
  absl::Status st = ParseArgs(g, {"-httpAuth.password=file:///nonexistent/strata-secret"});
  REQUIRE(absl::IsInvalidArgument(st));
  CHECK(std::string(st.message()).find("/nonexistent/strata-secret") != std::string::npos);
}

}  // namespace
}  // namespace strata
