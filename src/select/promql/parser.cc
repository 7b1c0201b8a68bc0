#include "select/promql/parser.h"

#include <cmath>
#include <deque>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/model/labels.h"
#include "select/promql/annotations.h"
#include "select/promql/lexer.h"

namespace strata::promql {

absl::Status ParseError(std::string_view query, int pos, std::string_view message) {
  return absl::InvalidArgumentError(fmt::format("{}: parse error: {}", LineColumn(query, pos), message));
}

namespace {

struct OpInfo {
  BinaryOp op;
  int precedence;  // higher binds tighter
};

bool BinaryOpOf(TokenType type, OpInfo* info) {
  switch (type) {
    case TokenType::kLor: *info = {BinaryOp::kOr, 1}; return true;
    case TokenType::kLand: *info = {BinaryOp::kAnd, 2}; return true;
    case TokenType::kLunless: *info = {BinaryOp::kUnless, 2}; return true;
    case TokenType::kEql: *info = {BinaryOp::kEql, 3}; return true;
    case TokenType::kNeq: *info = {BinaryOp::kNeq, 3}; return true;
    case TokenType::kLss: *info = {BinaryOp::kLss, 3}; return true;
    case TokenType::kLte: *info = {BinaryOp::kLte, 3}; return true;
    case TokenType::kGtr: *info = {BinaryOp::kGtr, 3}; return true;
    case TokenType::kGte: *info = {BinaryOp::kGte, 3}; return true;
    case TokenType::kAdd: *info = {BinaryOp::kAdd, 4}; return true;
    case TokenType::kSub: *info = {BinaryOp::kSub, 4}; return true;
    case TokenType::kMul: *info = {BinaryOp::kMul, 5}; return true;
    case TokenType::kDiv: *info = {BinaryOp::kDiv, 5}; return true;
    case TokenType::kMod: *info = {BinaryOp::kMod, 5}; return true;
    case TokenType::kAtan2: *info = {BinaryOp::kAtan2, 5}; return true;
    case TokenType::kPow: *info = {BinaryOp::kPow, 6}; return true;
    default: return false;
  }
}
constexpr int kPowPrecedence = 6;

ExprPtr MakeExpr(auto node, int start, int end) {
  auto e = std::make_unique<Expr>();
  e->node = std::move(node);
  e->pos = {start, end};
  return e;
}

class Parser {
 public:
  explicit Parser(std::string_view query) : query_(query), lexer_(query) {}

  absl::StatusOr<ExprPtr> Parse() {
    if (Peek().type == TokenType::kEof) return Error(Peek().pos, "no expression found in input");
    STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseBinary(0));
    const Token& t = Peek();
    if (t.type == TokenType::kError) return Error(t.pos, t.value);
    if (t.type != TokenType::kEof) return Unexpected(t, "");
    return expr;
  }

 private:
  const Token& Peek(size_t ahead = 0) {
    while (buffer_.size() <= ahead) buffer_.push_back(lexer_.Next());
    return buffer_[ahead];
  }
  Token Take() {
    Peek();
    Token t = std::move(buffer_.front());
    buffer_.pop_front();
    return t;
  }
  absl::Status Error(int pos, std::string_view message) const { return ParseError(query_, pos, message); }
  // "unexpected <token>[ in <context>][, expected <what>]"; lexer errors win.
  absl::Status Unexpected(const Token& t, std::string_view context, std::string_view expected = "") const {
    if (t.type == TokenType::kError) return Error(t.pos, t.value);
    std::string msg = fmt::format("unexpected {}", t.Describe());
    if (!context.empty()) msg += fmt::format(" in {}", context);
    if (!expected.empty()) msg += fmt::format(", expected {}", expected);
    return Error(t.pos, msg);
  }

  absl::StatusOr<ExprPtr> ParseBinary(int min_precedence) {
    STRATA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
    while (true) {
      OpInfo info;
      if (!BinaryOpOf(Peek().type, &info) || info.precedence < min_precedence) return lhs;
      const Token op_token = Take();
      bool return_bool = false;
      if (Peek().type == TokenType::kBool) {
        Take();
        return_bool = true;
      }
      if (Peek().type == TokenType::kOn || Peek().type == TokenType::kIgnoring ||
          Peek().type == TokenType::kGroupLeft || Peek().type == TokenType::kGroupRight) {
        // TODO(#promql-engine): vector matching modifiers.
        return Error(Peek().pos, fmt::format("vector matching ({}) is not supported yet", Peek().text));
      }
      // `^` is right-associative; the others are left-associative.
      const int next_min = info.op == BinaryOp::kPow ? info.precedence : info.precedence + 1;
      STRATA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseBinary(next_min));
      STRATA_ASSIGN_OR_RETURN(lhs, MakeBinary(info.op, op_token, return_bool, std::move(lhs), std::move(rhs)));
    }
  }

  absl::StatusOr<ExprPtr> MakeBinary(BinaryOp op, const Token& op_token, bool return_bool, ExprPtr lhs,
                                     ExprPtr rhs) const {
    const int start = lhs->pos.start;
    const int end = rhs->pos.end;
    const ValueType lt = lhs->Type();
    const ValueType rt = rhs->Type();
    if (return_bool && !IsComparisonOp(op)) {
      return Error(op_token.pos, "bool modifier can only be used on comparison operators");
    }
    if ((lt != ValueType::kScalar && lt != ValueType::kVector) ||
        (rt != ValueType::kScalar && rt != ValueType::kVector)) {
      return Error(start, "binary expression must contain only scalar and instant vector types");
    }
    if (IsComparisonOp(op) && !return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
      return Error(start, "comparisons between scalars must use BOOL modifier");
    }
    if (IsSetOp(op) && (lt == ValueType::kScalar || rt == ValueType::kScalar)) {
      return Error(start, fmt::format("set operator \"{}\" not allowed in binary scalar expression", BinaryOpName(op)));
    }
    BinaryExpr b;
    b.op = op;
    b.lhs = std::move(lhs);
    b.rhs = std::move(rhs);
    b.return_bool = return_bool;
    return MakeExpr(std::move(b), start, end);
  }

  absl::StatusOr<ExprPtr> ParseUnary() {
    const TokenType type = Peek().type;
    if (type != TokenType::kAdd && type != TokenType::kSub) return ParsePostfix();
    const Token op = Take();
    // Unary minus binds looser than `^`: -2^2 == -(2^2).
    STRATA_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(kPowPrecedence));
    const ValueType vt = operand->Type();
    if (vt != ValueType::kScalar && vt != ValueType::kVector) {
      return Error(op.pos, fmt::format("unary expression only allowed on expressions of type scalar or instant "
                                       "vector, got \"{}\"",
                                       ValueTypeName(vt)));
    }
    const int end = operand->pos.end;
    UnaryExpr u;
    u.op = type == TokenType::kSub ? UnaryOp::kMinus : UnaryOp::kPlus;
    u.expr = std::move(operand);
    return MakeExpr(std::move(u), op.pos, end);
  }

  absl::StatusOr<ExprPtr> ParsePostfix() {
    STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParsePrimary());
    while (true) {
      const Token& t = Peek();
      if (t.type == TokenType::kLeftBracket) {
        STRATA_ASSIGN_OR_RETURN(expr, ParseRange(std::move(expr)));
      } else if (t.type == TokenType::kOffset) {
        STRATA_RETURN_IF_ERROR(ParseOffset(expr.get()));
      } else if (t.type == TokenType::kAt) {
        STRATA_RETURN_IF_ERROR(ParseAt(expr.get()));
      } else {
        return expr;
      }
    }
  }

  // The selector that an `offset` or `@` applies to, or nullptr.
  static VectorSelector* ModifiableSelector(Expr* e) {
    if (auto* vs = std::get_if<VectorSelector>(&e->node)) return vs;
    if (auto* ms = std::get_if<MatrixSelector>(&e->node)) return &ms->selector;
    return nullptr;
  }

  absl::StatusOr<int64_t> ParseDurationToken(std::string_view context) {
    const Token t = Take();
    if (t.type == TokenType::kDuration) {
      auto d = ParseDuration(t.text);
      if (!d.ok()) return Error(t.pos, ToStd(d.status().message()));
      return *d;
    }
    if (t.type == TokenType::kNumber) {
      // Prometheus 3 accepts plain seconds where a duration is expected.
      auto n = ParseNumber(t.text);
      if (n.ok() && std::isfinite(*n)) return static_cast<int64_t>(std::llround(*n * 1000));
    }
    return Unexpected(t, context, "duration");
  }

  absl::StatusOr<ExprPtr> ParseRange(ExprPtr expr) {
    const Token open = Take();
    auto* vs = std::get_if<VectorSelector>(&expr->node);
    if (vs == nullptr) return Error(expr->pos.start, "ranges only allowed for vector selectors");
    if (vs->offset_ms != 0 || vs->at != AtModifier::kNone) {
      return Error(open.pos, "unexpected \"[\"");  // modifiers must follow the range
    }
    STRATA_ASSIGN_OR_RETURN(int64_t range, ParseDurationToken("range"));
    if (Peek().type == TokenType::kColon) {
      // TODO(#promql-engine): subqueries.
      return Error(Peek().pos, "subqueries are not supported yet");
    }
    const Token close = Take();
    if (close.type != TokenType::kRightBracket) return Unexpected(close, "range", "\"]\"");
    if (range <= 0) return Error(open.pos, "duration must be greater than 0");
    MatrixSelector ms;
    ms.selector = std::move(*vs);
    ms.range_ms = range;
    return MakeExpr(std::move(ms), expr->pos.start, close.pos + 1);
  }

  absl::Status ParseOffset(Expr* expr) {
    const Token kw = Take();
    VectorSelector* vs = ModifiableSelector(expr);
    if (vs == nullptr) {
      return Error(kw.pos,
                   "offset modifier must be preceded by an instant vector selector or range vector selector or a "
                   "subquery");
    }
    if (vs->offset_ms != 0) return Error(kw.pos, "offset may not be set multiple times");
    bool negative = false;
    if (Peek().type == TokenType::kSub || Peek().type == TokenType::kAdd) negative = Take().type == TokenType::kSub;
    STRATA_ASSIGN_OR_RETURN(int64_t d, ParseDurationToken("offset"));
    vs->offset_ms = negative ? -d : d;
    expr->pos.end = static_cast<int>(buffer_.empty() ? query_.size() : buffer_.front().pos);
    return absl::OkStatus();
  }

  absl::Status ParseAt(Expr* expr) {
    const Token at = Take();
    VectorSelector* vs = ModifiableSelector(expr);
    if (vs == nullptr) {
      return Error(at.pos,
                   "@ modifier must be preceded by an instant vector selector or range vector selector or a "
                   "subquery");
    }
    if (vs->at != AtModifier::kNone) return Error(at.pos, "@ <timestamp> may not be set multiple times");
    const Token t = Take();
    if (t.type == TokenType::kStart || t.type == TokenType::kEnd) {
      const Token open = Take();
      const Token close = Take();
      if (open.type != TokenType::kLeftParen) return Unexpected(open, "@", "\"(\"");
      if (close.type != TokenType::kRightParen) return Unexpected(close, "@", "\")\"");
      vs->at = t.type == TokenType::kStart ? AtModifier::kStart : AtModifier::kEnd;
      return absl::OkStatus();
    }
    bool negative = false;
    Token num = t;
    if (t.type == TokenType::kSub || t.type == TokenType::kAdd) {
      negative = t.type == TokenType::kSub;
      num = Take();
    }
    if (num.type != TokenType::kNumber) return Unexpected(num, "@", "timestamp");
    auto v = ParseNumber(num.text);
    if (!v.ok()) return Error(num.pos, ToStd(v.status().message()));
    double seconds = negative ? -*v : *v;
    if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e15) {
      return Error(num.pos, fmt::format("timestamp out of bounds for @ modifier: {}", num.text));
    }
    vs->at = AtModifier::kTimestamp;
    vs->at_ms = static_cast<int64_t>(std::llround(seconds * 1000));
    return absl::OkStatus();
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kNumber: {
        const Token n = Take();
        auto v = ParseNumber(n.text);
        if (!v.ok()) return Error(n.pos, ToStd(v.status().message()));
        return MakeExpr(NumberLiteral{*v}, n.pos, n.pos + static_cast<int>(n.text.size()));
      }
      case TokenType::kString: {
        Token s = Take();
        return MakeExpr(StringLiteral{std::move(s.value)}, s.pos, s.pos + static_cast<int>(s.text.size()));
      }
      case TokenType::kLeftParen: {
        const Token open = Take();
        STRATA_ASSIGN_OR_RETURN(ExprPtr inner, ParseBinary(0));
        const Token close = Take();
        if (close.type != TokenType::kRightParen) return Unexpected(close, "paren expression", "\")\"");
        return MakeExpr(ParenExpr{std::move(inner)}, open.pos, close.pos + 1);
      }
      case TokenType::kIdentifier:
      case TokenType::kMetricIdentifier: {
        const Token name = Take();
        if (Peek().type == TokenType::kLeftParen) {
          // TODO(#promql-engine): functions and aggregations.
          return Error(name.pos, fmt::format("unknown function with name \"{}\"", name.text));
        }
        return ParseSelector(name.pos, std::string(name.text));
      }
      case TokenType::kLeftBrace: return ParseSelector(t.pos, "");
      default: return Unexpected(t, "");
    }
  }

  // Parses the optional `{...}` after a metric name (or the mandatory one
  // when `name` is empty) and validates the selector.
  absl::StatusOr<ExprPtr> ParseSelector(int start, std::string name) {
    VectorSelector vs;
    vs.name = name;
    int end = start + static_cast<int>(name.size());
    std::string name_in_braces;
    if (Peek().type == TokenType::kLeftBrace) {
      Take();
      while (true) {
        Token label = Take();
        if (label.type == TokenType::kRightBrace) {
          end = label.pos + 1;
          break;
        }
        std::string label_name;
        if (label.type == TokenType::kIdentifier) {
          label_name = std::string(label.text);
        } else if (label.type == TokenType::kString) {
          // `{"metric.name"}`: a lone quoted name is the metric name.
          const TokenType after = Peek().type;
          if (after == TokenType::kComma || after == TokenType::kRightBrace) {
            if (!vs.name.empty() || !name_in_braces.empty()) {
              return Error(start, fmt::format("metric name must not be set twice: \"{}\" or \"{}\"",
                                              vs.name.empty() ? name_in_braces : vs.name, label.value));
            }
            name_in_braces = label.value;
            auto m = Matcher::Create(MatchType::kEqual, std::string(kMetricNameLabel), label.value);
            vs.matchers.push_back(*std::move(m));
            if (Take().type == TokenType::kRightBrace) {
              end = Peek().pos;  // approximate: the next token's start
              break;
            }
            continue;
          }
          label_name = label.value;
        } else {
          return Unexpected(label, "label matching", "identifier or \"}\"");
        }
        const Token op = Take();
        MatchType type;
        switch (op.type) {
          case TokenType::kAssign: type = MatchType::kEqual; break;
          case TokenType::kNeq: type = MatchType::kNotEqual; break;
          case TokenType::kEqlRegex: type = MatchType::kRegexMatch; break;
          case TokenType::kNeqRegex: type = MatchType::kRegexNoMatch; break;
          default: return Unexpected(op, "label matching", "label matching operator");
        }
        const Token value = Take();
        if (value.type != TokenType::kString) return Unexpected(value, "label matching", "string");
        auto matcher = Matcher::Create(type, label_name, value.value);
        if (!matcher.ok()) return Error(value.pos, ToStd(matcher.status().message()));
        if (label_name == kMetricNameLabel && !vs.name.empty()) {
          return Error(start, fmt::format("metric name must not be set twice: \"{}\" or \"{}\"", vs.name, value.value));
        }
        vs.matchers.push_back(*std::move(matcher));
        const Token sep = Take();
        if (sep.type == TokenType::kRightBrace) {
          end = sep.pos + 1;
          break;
        }
        if (sep.type != TokenType::kComma) return Unexpected(sep, "label matching", "\",\" or \"}\"");
      }
    }
    if (!vs.name.empty()) {
      auto m = Matcher::Create(MatchType::kEqual, std::string(kMetricNameLabel), vs.name);
      vs.matchers.insert(vs.matchers.begin(), *std::move(m));
    } else if (!name_in_braces.empty()) {
      vs.name = name_in_braces;
    }
    bool has_non_empty = false;
    for (const Matcher& m : vs.matchers) has_non_empty |= !m.MatchesEmpty();
    if (!has_non_empty) return Error(start, "vector selector must contain at least one non-empty matcher");
    return MakeExpr(std::move(vs), start, end);
  }

  std::string_view query_;
  Lexer lexer_;
  std::deque<Token> buffer_;
};

}  // namespace

absl::StatusOr<ExprPtr> ParseExpr(std::string_view query) { return Parser(query).Parse(); }

}  // namespace strata::promql
