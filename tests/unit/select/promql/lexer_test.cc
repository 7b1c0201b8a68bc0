#include "select/promql/lexer.h"

#include <cmath>
#include <vector>

#include <catch2/catch.hpp>

namespace strata::promql {
namespace {

std::vector<Token> LexAll(std::string_view input) {
  Lexer lexer(input);
  std::vector<Token> out;
  while (true) {
    Token t = lexer.Next();
    const bool stop = t.type == TokenType::kEof || t.type == TokenType::kError;
    out.push_back(std::move(t));
    if (stop) break;
  }
  return out;
}

std::vector<TokenType> Types(std::string_view input) {
  std::vector<TokenType> out;
  for (const Token& t : LexAll(input)) out.push_back(t.type);
  return out;
}

TEST_CASE("lexer splits a selector with every matcher operator into tokens", "[select][promql][lexer]") {
  using T = TokenType;
  CHECK(Types(R"(up{a="b",c!="d",e=~"f.*",g!~'h',})") ==
        std::vector<T>{T::kIdentifier, T::kLeftBrace, T::kIdentifier, T::kAssign, T::kString, T::kComma,
                       T::kIdentifier, T::kNeq, T::kString, T::kComma, T::kIdentifier, T::kEqlRegex, T::kString,
                       T::kComma, T::kIdentifier, T::kNeqRegex, T::kString, T::kComma, T::kRightBrace, T::kEof});
}

TEST_CASE("lexer recognises metric names with colons, keywords and operators", "[select][promql][lexer]") {
  using T = TokenType;
  CHECK(Types("job:rate5m:sum + a - b * c / d % e ^ f == g != h < i <= j > k >= l") ==
        std::vector<T>{T::kMetricIdentifier, T::kAdd, T::kIdentifier, T::kSub, T::kIdentifier, T::kMul,
                       T::kIdentifier, T::kDiv, T::kIdentifier, T::kMod, T::kIdentifier, T::kPow, T::kIdentifier,
                       T::kEql, T::kIdentifier, T::kNeq, T::kIdentifier, T::kLss, T::kIdentifier, T::kLte,
                       T::kIdentifier, T::kGtr, T::kIdentifier, T::kGte, T::kIdentifier, T::kEof});
  CHECK(Types("a and b or c unless d atan2 e bool offset by without on ignoring group_left group_right") ==
        std::vector<T>{T::kIdentifier, T::kLand, T::kIdentifier, T::kLor, T::kIdentifier, T::kLunless,
                       T::kIdentifier, T::kAtan2, T::kIdentifier, T::kBool, T::kOffset, T::kBy, T::kWithout,
                       T::kOn, T::kIgnoring, T::kGroupLeft, T::kGroupRight, T::kEof});
  // Inside braces keywords are label names.
  CHECK(Types(R"({on="x"})") ==
        std::vector<T>{T::kLeftBrace, T::kIdentifier, T::kAssign, T::kString, T::kRightBrace, T::kEof});
  CHECK(Types("x @ start() end") ==
        std::vector<T>{T::kIdentifier, T::kAt, T::kStart, T::kLeftParen, T::kRightParen, T::kIdentifier, T::kEof});
}

TEST_CASE("lexer reads numbers in every Prometheus form", "[select][promql][lexer]") {
  for (std::string_view n : {"1", "1.5", ".5", "5.", "1e3", "1E-3", "0x1F", "Inf", "nan", "NaN", "017"}) {
    auto tokens = LexAll(n);
    INFO(n);
    REQUIRE(tokens[0].type == TokenType::kNumber);
    CHECK(tokens[0].text == n);
  }
  CHECK(*ParseNumber("0x1F") == 31);
  CHECK(*ParseNumber("017") == 15);  // strconv.ParseInt base 0: octal
  CHECK(*ParseNumber("09") == 9);
  CHECK(*ParseNumber("1.5e3") == 1500);
  CHECK(std::isinf(*ParseNumber("Inf")));
  CHECK(std::isnan(*ParseNumber("NaN")));
}

TEST_CASE("lexer reads simple and compound durations", "[select][promql][lexer]") {
  for (std::string_view d : {"5m", "1h30m", "10s", "100ms", "1y2w3d", "0s"}) {
    auto tokens = LexAll(d);
    INFO(d);
    REQUIRE(tokens[0].type == TokenType::kDuration);
    CHECK(tokens[0].text == d);
  }
  CHECK(*ParseDuration("1h30m") == 5400000);
  CHECK(*ParseDuration("100ms") == 100);
  CHECK(*ParseDuration("1y") == 365LL * 86400 * 1000);
  CHECK(*ParseDuration("1w2d") == 9LL * 86400 * 1000);
  CHECK(*ParseDuration("0") == 0);
  CHECK(ParseDuration("30m1h").status().message() == "not a valid duration string: \"30m1h\"");
  CHECK(ParseDuration("5x").status().message() == "not a valid duration string: \"5x\"");
  CHECK(ParseDuration("").status().message() == "empty duration string");
}

TEST_CASE("lexer unquotes strings with all Go escapes in all three quotings", "[select][promql][lexer]") {
  CHECK(*Unquote(R"("a\"b\\c\n\t")") == "a\"b\\c\n\t");
  CHECK(*Unquote(R"('it\'s')") == "it's");
  CHECK(*Unquote(R"(`raw\n`)") == "raw\\n");
  CHECK(*Unquote(R"("\x41\101\u00e9\U0001F600")") == "AA\xc3\xa9\xf0\x9f\x98\x80");
  CHECK(*Unquote(R"("\a\b\f\r\v")") == "\a\b\f\r\v");
  CHECK(Unquote(R"("\q")").status().message() == "unknown escape sequence U+0071");
  CHECK(!Unquote(R"("\'")").ok());  // \' only inside single quotes, as in Go
  auto tokens = LexAll(R"({a="x\ty"})");
  REQUIRE(tokens[3].type == TokenType::kString);
  CHECK(tokens[3].value == "x\ty");
}

TEST_CASE("lexer reports errors with the offending position", "[select][promql][lexer]") {
  auto last = [](std::string_view in) { return LexAll(in).back(); };
  Token t = last("foo{");
  CHECK(t.type == TokenType::kError);
  CHECK(t.value == "unexpected end of input inside braces");
  CHECK(t.pos == 4);
  t = last(R"(foo{a="b)");
  CHECK(t.value == "unterminated quoted string");
  CHECK(t.pos == 6);
  t = last("(1");
  CHECK(t.value == "unclosed left parenthesis");
  t = last("foo}");
  CHECK(t.value == "unexpected right brace '}'");
  CHECK(t.pos == 3);
  t = last("a $ b");
  CHECK(t.value == "unexpected character: '$'");
  CHECK(t.pos == 2);
  t = last("1a");
  CHECK(t.value == "bad number or duration syntax: \"1a\"");
}

TEST_CASE("lexer skips comments and describes tokens like Prometheus", "[select][promql][lexer]") {
  auto tokens = LexAll("up # the up metric\n");
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[1].type == TokenType::kEof);
  CHECK(LexAll("foo")[0].Describe() == "identifier \"foo\"");
  CHECK(LexAll("1")[0].Describe() == "number \"1\"");
  CHECK(LexAll("+")[0].Describe() == "<op:+>");
  CHECK(LexAll("by")[0].Describe() == "<by>");
  CHECK(LexAll(",")[0].Describe() == "\",\"");
  CHECK(LexAll("")[0].Describe() == "end of input");
  // Aggregators are keywords in Prometheus's lexer.
  CHECK(LexAll("sum")[0].Describe() == "<aggr:sum>");
  CHECK(LexAll("Count_Values")[0].Describe() == "<aggr:Count_Values>");
}

TEST_CASE("lexer accepts digit separators only between digits", "[promql][parser]") {
  using T = TokenType;
  CHECK(Types("1_000 0x_ff .5_5") == std::vector<T>{T::kNumber, T::kNumber, T::kNumber, T::kEof});
  CHECK(*ParseNumber("1_000") == 1000);
  CHECK(*ParseNumber("0x_ff") == 255);
  // A trailing or doubled separator ends the number and is then an error.
  CHECK(LexAll("1_").back().type == T::kError);
  CHECK(LexAll("1__0").back().type == T::kError);
  // Separators make a number, never a duration.
  CHECK(LexAll("1_0m").back().type == T::kError);
}

TEST_CASE("lexer rejects regex operators outside braces and strings that are not UTF-8", "[promql][parser]") {
  std::vector<Token> t = LexAll("a =~ b");
  CHECK(t.back().type == TokenType::kError);
  CHECK(t.back().value == "unexpected character after '=': '~'");
  t = LexAll("a !~ b");
  CHECK(t.back().value == "unexpected character after '!': '~'");
  t = LexAll("\"a\xff" "b\"");
  CHECK(t.back().type == TokenType::kError);
  CHECK(t.back().value == "invalid UTF-8 rune");
  // Escapes may produce any byte.
  t = LexAll(R"("a\xffb")");
  REQUIRE(t[0].type == TokenType::kString);
  CHECK(t[0].value == "a\xff" "b");
}

TEST_CASE("lexer makes start and end keywords only before a parenthesis", "[promql][parser]") {
  using T = TokenType;
  CHECK(Types("start end") == std::vector<T>{T::kIdentifier, T::kIdentifier, T::kEof});
  CHECK(Types("@ start ()") == std::vector<T>{T::kAt, T::kStart, T::kLeftParen, T::kRightParen, T::kEof});
}

}  // namespace
}  // namespace strata::promql
