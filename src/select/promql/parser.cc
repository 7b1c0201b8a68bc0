#include "select/promql/parser.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "common/base/status.h"
#include "common/model/labels.h"
#include "select/promql/annotations.h"
#include "select/promql/ast_printer.h"
#include "select/promql/function_signatures.h"
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

struct AggregatorName {
  std::string_view name;
  AggregateOp op;
};
constexpr AggregatorName kAggregators[] = {
    {"sum", AggregateOp::kSum},         {"avg", AggregateOp::kAvg},
    {"count", AggregateOp::kCount},     {"min", AggregateOp::kMin},
    {"max", AggregateOp::kMax},         {"group", AggregateOp::kGroup},
    {"stddev", AggregateOp::kStddev},   {"stdvar", AggregateOp::kStdvar},
    {"topk", AggregateOp::kTopk},       {"bottomk", AggregateOp::kBottomk},
    {"count_values", AggregateOp::kCountValues}, {"quantile", AggregateOp::kQuantile},
    {"limitk", AggregateOp::kLimitk},   {"limit_ratio", AggregateOp::kLimitRatio},
};

// Aggregators are keywords in Prometheus, matched case-insensitively.
bool AggregatorOf(std::string_view text, AggregateOp* op) {
  if (text.size() > 12) return false;
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const AggregatorName& a : kAggregators) {
    if (a.name == lower) {
      *op = a.op;
      return true;
    }
  }
  return false;
}

// Prometheus's legacy label name check ([a-zA-Z_][a-zA-Z0-9_]*).
bool IsLegacyLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

ExprPtr MakeExpr(auto node, int start, int end) {
  auto e = std::make_unique<Expr>();
  e->node = std::move(node);
  e->pos = {start, end};
  return e;
}

int TokenEnd(const Token& t) { return t.pos + static_cast<int>(t.text.size()); }

// Prometheus's Go parser has no depth limit (goroutine stacks grow); ours
// recurses on the thread's stack, and so do the type checker, the evaluator
// and the tree's destructor. Deeper queries are refused with an error rather
// than crashing the process. Nesting counts parser recursion (parentheses,
// unary operators, call arguments); depth counts the height of the tree,
// which long operator chains and stacked subqueries grow without recursion.
constexpr int kMaxNesting = 500;
constexpr int kMaxDepth = 2000;

template <typename F>
void ForEachChild(const Expr& e, F&& f) {
  if (const auto* sq = e.As<SubqueryExpr>()) f(*sq->expr);
  if (const auto* p = e.As<ParenExpr>()) f(*p->expr);
  if (const auto* u = e.As<UnaryExpr>()) f(*u->expr);
  if (const auto* b = e.As<BinaryExpr>()) {
    f(*b->lhs);
    f(*b->rhs);
  }
  if (const auto* a = e.As<AggregateExpr>()) {
    f(*a->expr);
    if (a->param) f(*a->param);
  }
  if (const auto* c = e.As<Call>()) {
    for (const ExprPtr& arg : c->args) f(*arg);
  }
}

class Parser {
 public:
  Parser(std::string_view query, const ParseOptions& options) : query_(query), options_(options), lexer_(query) {}

  absl::StatusOr<ExprPtr> Parse() {
    if (Peek().type == TokenType::kEof) return Error(0, "no expression found in input");
    STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParseBinary(0));
    if (too_deep_pos_ >= 0) return TooDeep(too_deep_pos_, kMaxDepth);
    const Token& t = Peek();
    if (t.type != TokenType::kEof) return Unexpected(t, "");
    STRATA_RETURN_IF_ERROR(Check(*expr).status());
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
    if (t.type != TokenType::kEof && t.type != TokenType::kError) last_end_ = TokenEnd(t);
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

  // ---- Expressions -------------------------------------------------------

  // Builds a node and records its height; see kMaxDepth.
  template <typename Node>
  ExprPtr Make(Node node, int start, int end) {
    ExprPtr e = MakeExpr(std::move(node), start, end);
    int height = 0;
    ForEachChild(*e, [&](const Expr& child) {
      auto it = height_.find(&child);
      height = std::max(height, it == height_.end() ? 1 : it->second);
    });
    ++height;
    height_[e.get()] = height;
    if (height > kMaxDepth && too_deep_pos_ < 0) too_deep_pos_ = start;
    return e;
  }

  absl::Status TooDeep(int pos, int limit) const {
    return Error(pos, fmt::format("query is nested too deeply (more than {} levels)", limit));
  }

  absl::StatusOr<ExprPtr> ParseBinary(int min_precedence) {
    STRATA_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
    while (true) {
      if (too_deep_pos_ >= 0) return TooDeep(too_deep_pos_, kMaxDepth);
      OpInfo info;
      if (!BinaryOpOf(Peek().type, &info) || info.precedence < min_precedence) return lhs;
      Take();
      BinaryExpr b;
      b.op = info.op;
      VectorMatching vm;
      if (Peek().type == TokenType::kBool) {
        Take();
        b.return_bool = true;
      }
      if (Peek().type == TokenType::kOn || Peek().type == TokenType::kIgnoring) {
        vm.on = Take().type == TokenType::kOn;
        STRATA_ASSIGN_OR_RETURN(vm.matching_labels, ParseGroupingLabels());
        if (Peek().type == TokenType::kGroupLeft || Peek().type == TokenType::kGroupRight) {
          vm.card = Take().type == TokenType::kGroupLeft ? MatchCardinality::kManyToOne : MatchCardinality::kOneToMany;
          if (Peek().type == TokenType::kLeftParen) {
            STRATA_ASSIGN_OR_RETURN(vm.include, ParseGroupingLabels());
          }
        }
      }
      STRATA_RETURN_IF_ERROR(ParseFillModifiers(&vm));
      const bool has_fill = vm.fill_lhs.has_value() || vm.fill_rhs.has_value();
      // Until Check() knows the operand types, every binary expression
      // carries its matching, as in Prometheus.
      b.matching = std::move(vm);
      // `^` is right-associative; the others are left-associative.
      const int next_min = info.op == BinaryOp::kPow ? info.precedence : info.precedence + 1;
      STRATA_ASSIGN_OR_RETURN(ExprPtr rhs, ParseBinary(next_min));
      if (has_fill && !options_.binop_fill_modifiers) {
        return Error(lhs->pos.start, "binop fill modifiers are experimental and not enabled");
      }
      const int start = lhs->pos.start;
      const int end = rhs->pos.end;
      b.lhs = std::move(lhs);
      b.rhs = std::move(rhs);
      lhs = Make(std::move(b), start, end);
    }
  }

  // `fill(v)`, `fill_left(v)`, `fill_right(v)` after the matching modifiers.
  // Like Prometheus's lexer, the words are modifiers only before "(", so
  // metrics named `fill` stay usable (`a + fill`).
  absl::Status ParseFillModifiers(VectorMatching* vm) {
    bool fill_both = false;
    while (Peek().type == TokenType::kIdentifier && Peek(1).type == TokenType::kLeftParen) {
      std::string word(Peek().text);
      for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (word != "fill" && word != "fill_left" && word != "fill_right") return absl::OkStatus();
      const Token kw = Take();
      Take();  // "("
      Token t = Take();
      bool negative = false;
      if (t.type == TokenType::kAdd || t.type == TokenType::kSub) {
        negative = t.type == TokenType::kSub;
        t = Take();
      }
      double v = 0;
      if (t.type == TokenType::kNumber) {
        STRATA_ASSIGN_OR_RETURN(v, NumberValue(t));
      } else if (t.type == TokenType::kDuration) {
        STRATA_ASSIGN_OR_RETURN(int64_t ms, DurationValue(t));
        v = static_cast<double>(ms) / 1000.0;
      } else {
        return Unexpected(t, "fill modifier", "number");
      }
      if (negative) v = -v;
      const Token close = Take();
      if (close.type != TokenType::kRightParen) return Unexpected(close, "fill modifier", "\")\"");
      const bool left = word != "fill_right";
      const bool right = word != "fill_left";
      if (fill_both || (left && vm->fill_lhs) || (right && vm->fill_rhs)) {
        return Error(kw.pos, "fill modifier may not be set multiple times");
      }
      fill_both = left && right;
      if (left) vm->fill_lhs = v;
      if (right) vm->fill_rhs = v;
    }
    return absl::OkStatus();
  }

  // ---- Duration expressions (ParseOptions::duration_expressions) ---------

  using DurPtr = std::shared_ptr<DurationExpr>;

  static bool IsDurationLiteral(const DurationExpr& d) { return d.op == DurationOp::kLiteral && !d.wrapped; }

  // "step", "range", "min_of", "max_of" before "(": the duration functions
  // (case-insensitive, as Prometheus's keywords).
  std::string DurationFunctionAt() {
    const Token& t = Peek();
    if (t.type != TokenType::kIdentifier || Peek(1).type != TokenType::kLeftParen) return "";
    std::string word(t.text);
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (word == "step" || word == "range" || word == "min_of" || word == "max_of") return word;
    return "";
  }

  static bool DurationOpOf(TokenType type, DurationOp* op, int* precedence) {
    switch (type) {
      case TokenType::kAdd: *op = DurationOp::kAdd, *precedence = 4; return true;
      case TokenType::kSub: *op = DurationOp::kSub, *precedence = 4; return true;
      case TokenType::kMul: *op = DurationOp::kMul, *precedence = 5; return true;
      case TokenType::kDiv: *op = DurationOp::kDiv, *precedence = 5; return true;
      case TokenType::kMod: *op = DurationOp::kMod, *precedence = 5; return true;
      case TokenType::kPow: *op = DurationOp::kPow, *precedence = 6; return true;
      default: return false;
    }
  }

  absl::StatusOr<DurPtr> DurationLiteralNode(const Token& t) {
    auto d = std::make_shared<DurationExpr>();
    d->pos = {t.pos, TokenEnd(t)};
    if (t.type == TokenType::kDuration) {
      STRATA_ASSIGN_OR_RETURN(int64_t ms, DurationValue(t));
      d->value = static_cast<double>(ms) / 1000.0;
      d->is_duration = true;
    } else {
      STRATA_ASSIGN_OR_RETURN(d->value, NumberValue(t));
    }
    if (DurationSecondsOutOfRange(d->value)) return Error(t.pos, "duration out of range");
    return d;
  }

  static bool DurationSecondsOutOfRange(double v) { return v > 9223372036.854775807 || v < -9223372036.854775808; }

  // `step()`, `range()`, `min_of(a, b)`, `max_of(a, b)`; the name is next.
  absl::StatusOr<DurPtr> ParseDurationFunction(const std::string& word) {
    const Token name = Take();
    Take();  // "("
    auto d = std::make_shared<DurationExpr>();
    if (word == "step" || word == "range") {
      const Token close = Take();
      if (close.type != TokenType::kRightParen) return Unexpected(close, "", "\")\"");
      d->op = word == "step" ? DurationOp::kStep : DurationOp::kRange;
      d->pos = {name.pos, TokenEnd(close)};
      return d;
    }
    d->op = word == "min_of" ? DurationOp::kMinOf : DurationOp::kMaxOf;
    STRATA_ASSIGN_OR_RETURN(DurPtr a, ParseDurationBinary(0));
    const Token comma = Take();
    if (comma.type != TokenType::kComma) return Unexpected(comma, "", "\",\"");
    STRATA_ASSIGN_OR_RETURN(DurPtr b, ParseDurationBinary(0));
    const Token close = Take();
    if (close.type != TokenType::kRightParen) return Unexpected(close, "", "\")\"");
    d->lhs = std::move(a);
    d->rhs = std::move(b);
    d->pos = {name.pos, TokenEnd(close)};
    return d;
  }

  // `( duration_expr )`; the "(" is next. A parenthesised literal becomes a
  // wrapped kPos node so that it prints back with its parentheses.
  absl::StatusOr<DurPtr> ParseParenDuration() {
    const Token open = Take();
    STRATA_ASSIGN_OR_RETURN(DurPtr inner, ParseDurationBinary(0));
    const Token close = Take();
    if (close.type != TokenType::kRightParen) return Unexpected(close, "", "\")\"");
    if (inner->op == DurationOp::kLiteral || inner->wrapped) {
      auto w = std::make_shared<DurationExpr>();
      w->op = DurationOp::kPos;
      w->rhs = std::move(inner);
      inner = std::move(w);
    }
    inner->wrapped = true;
    inner->pos = {open.pos, TokenEnd(close)};
    return inner;
  }

  // A sign applied to a duration expression: literals fold it in, as in
  // Prometheus; `-x` becomes a kNeg node and `+x` is x.
  static DurPtr ApplySign(const Token& sign, DurPtr operand) {
    if (IsDurationLiteral(*operand)) {
      if (sign.type == TokenType::kSub) operand->value = -operand->value;
      operand->pos.start = sign.pos;
      return operand;
    }
    if (sign.type == TokenType::kAdd) return operand;
    auto d = std::make_shared<DurationExpr>();
    d->op = DurationOp::kNeg;
    d->pos = {sign.pos, operand->pos.end};
    d->rhs = std::move(operand);
    return d;
  }

  absl::StatusOr<DurPtr> ParseDurationUnary() {
    if (nesting_ >= kMaxNesting) return TooDeep(Peek().pos, kMaxNesting);
    ++nesting_;
    auto result = ParseDurationUnaryNested();
    --nesting_;
    return result;
  }

  absl::StatusOr<DurPtr> ParseDurationUnaryNested() {
    const Token& t = Peek();
    if (t.type == TokenType::kAdd || t.type == TokenType::kSub) {
      const Token sign = Take();
      // Like unary minus on expressions: only `^` binds tighter.
      STRATA_ASSIGN_OR_RETURN(DurPtr operand, ParseDurationBinary(kPowPrecedence));
      DurPtr d = ApplySign(sign, std::move(operand));
      if (d->op == DurationOp::kLiteral && DurationSecondsOutOfRange(d->value)) {
        return Error(sign.pos, "duration out of range");
      }
      return d;
    }
    if (t.type == TokenType::kNumber || t.type == TokenType::kDuration) return DurationLiteralNode(Take());
    if (t.type == TokenType::kLeftParen) return ParseParenDuration();
    if (std::string word = DurationFunctionAt(); !word.empty()) return ParseDurationFunction(word);
    return Unexpected(t, duration_context_, duration_expected_);
  }

  absl::StatusOr<DurPtr> ParseDurationBinary(int min_precedence) {
    STRATA_ASSIGN_OR_RETURN(DurPtr lhs, ParseDurationUnary());
    return ParseDurationOperators(std::move(lhs), min_precedence);
  }

  // Continues `lhs` with binary duration operators of at least
  // `min_precedence`.
  absl::StatusOr<DurPtr> ParseDurationOperators(DurPtr lhs, int min_precedence) {
    while (true) {
      DurationOp op;
      int precedence;
      if (!DurationOpOf(Peek().type, &op, &precedence) || precedence < min_precedence) return lhs;
      const Token op_token = Take();
      const int next_min = op == DurationOp::kPow ? precedence : precedence + 1;
      STRATA_ASSIGN_OR_RETURN(DurPtr rhs, ParseDurationBinary(next_min));
      if ((op == DurationOp::kDiv || op == DurationOp::kMod) && IsDurationLiteral(*rhs) && rhs->value == 0) {
        return Error(op_token.pos, op == DurationOp::kDiv ? "division by zero" : "modulo by zero");
      }
      auto d = std::make_shared<DurationExpr>();
      d->op = op;
      d->pos = {lhs->pos.start, rhs->pos.end};
      d->lhs = std::move(lhs);
      d->rhs = std::move(rhs);
      lhs = std::move(d);
    }
  }

  // A range or subquery step between the brackets: a literal gives its
  // milliseconds (as without the feature), anything else an expression.
  absl::StatusOr<DurPtr> ParseBracketDuration(const char* context, const char* expected) {
    duration_context_ = context;
    duration_expected_ = expected;
    return ParseDurationBinary(0);
  }

  // Prometheus rounds a literal range to nanoseconds; the engine works in
  // milliseconds.
  static int64_t LiteralMs(double seconds) {
    return static_cast<int64_t>(std::llround(seconds * 1e9)) / 1'000'000;
  }

  // `expr[range]`: only a plain vector selector may take a range, and its
  // offset and @ must come after the brackets.
  absl::StatusOr<MatrixSelector> RangeSelectorOf(Expr& expr, const Token& open) {
    auto* vs = expr.As<VectorSelector>();
    if (vs == nullptr) return Error(open.pos, "ranges only allowed for vector selectors");
    if (vs->offset_ms != 0 || vs->offset_expr) return Error(open.pos, "no offset modifiers allowed before range");
    if (vs->at != AtModifier::kNone) return Error(open.pos, "no @ modifiers allowed before range");
    MatrixSelector ms;
    ms.selector = std::move(*vs);
    return ms;
  }

  absl::StatusOr<ExprPtr> ParseRangeOrSubqueryExpr(ExprPtr expr) {
    const Token open = Take();
    STRATA_ASSIGN_OR_RETURN(DurPtr range,
                            ParseBracketDuration("subquery or range selector", "number, duration, step(), or range()"));
    const Token next = Take();
    if (next.type == TokenType::kRightBracket) {
      STRATA_ASSIGN_OR_RETURN(MatrixSelector ms, RangeSelectorOf(*expr, open));
      if (IsDurationLiteral(*range)) {
        ms.range_ms = LiteralMs(range->value);
      } else {
        ms.range_expr = std::move(range);
      }
      return Make(std::move(ms), expr->pos.start, TokenEnd(next));
    }
    if (next.type != TokenType::kColon) return Unexpected(next, "subquery or range", "\":\" or \"]\"");
    SubqueryExpr sq;
    if (IsDurationLiteral(*range)) {
      sq.range_ms = LiteralMs(range->value);
    } else {
      sq.range_expr = std::move(range);
    }
    if (Peek().type != TokenType::kRightBracket) {
      STRATA_ASSIGN_OR_RETURN(DurPtr step,
                              ParseBracketDuration("subquery selector", "number, duration, step(), range(), or \"]\""));
      if (IsDurationLiteral(*step)) {
        sq.step_ms = LiteralMs(step->value);
      } else {
        sq.step_expr = std::move(step);
      }
      if (Peek().type != TokenType::kRightBracket) return Unexpected(Peek(), "subquery selector", "\"]\"");
    }
    const Token close = Take();
    const int start = expr->pos.start;
    sq.expr = std::move(expr);
    return Make(std::move(sq), start, TokenEnd(close));
  }

  // The duration after `offset` (Prometheus offset_duration_expr): a signed
  // literal, a signed step()/range()/min_of()/max_of() or parenthesised
  // expression ends the offset, so `x offset 1m + 1` is `(x offset 1m) + 1`;
  // only an unsigned parenthesised expression may continue with operators,
  // as Prometheus's grammar shifts them.
  absl::StatusOr<DurPtr> ParseOffsetDuration() {
    duration_context_ = "offset";
    duration_expected_ = "number, duration, step(), or range()";
    const Token& t = Peek();
    if (t.type == TokenType::kAdd || t.type == TokenType::kSub) {
      const Token sign = Take();
      const Token& n = Peek();
      DurPtr operand;
      if (n.type == TokenType::kNumber || n.type == TokenType::kDuration) {
        STRATA_ASSIGN_OR_RETURN(operand, DurationLiteralNode(Take()));
      } else if (n.type == TokenType::kLeftParen) {
        STRATA_ASSIGN_OR_RETURN(operand, ParseParenDuration());
      } else if (std::string word = DurationFunctionAt(); !word.empty()) {
        STRATA_ASSIGN_OR_RETURN(operand, ParseDurationFunction(word));
      } else {
        return Unexpected(n, duration_context_, duration_expected_);
      }
      DurPtr d = ApplySign(sign, std::move(operand));
      if (d->op == DurationOp::kLiteral && DurationSecondsOutOfRange(d->value)) {
        return Error(sign.pos, "duration out of range");
      }
      return d;
    }
    if (t.type == TokenType::kNumber || t.type == TokenType::kDuration) return DurationLiteralNode(Take());
    if (std::string word = DurationFunctionAt(); !word.empty()) return ParseDurationFunction(word);
    if (t.type == TokenType::kLeftParen) {
      STRATA_ASSIGN_OR_RETURN(DurPtr paren, ParseParenDuration());
      return ParseDurationOperators(std::move(paren), 0);
    }
    return Unexpected(t, duration_context_, duration_expected_);
  }

  absl::Status ParseOffsetExpr(Expr* expr) {
    Take();
    STRATA_ASSIGN_OR_RETURN(DurPtr d, ParseOffsetDuration());
    if (const char* err = ModifierTarget(*expr)) {
      return Error(expr->pos.start, fmt::format("offset modifier {}", err));
    }
    int64_t* offset = nullptr;
    DurationExprPtr* offset_expr = nullptr;
    if (auto* vs = expr->As<VectorSelector>()) offset = &vs->offset_ms, offset_expr = &vs->offset_expr;
    if (auto* ms = expr->As<MatrixSelector>()) {
      offset = &ms->selector.offset_ms, offset_expr = &ms->selector.offset_expr;
    }
    if (auto* sq = expr->As<SubqueryExpr>()) offset = &sq->offset_ms, offset_expr = &sq->offset_expr;
    if (*offset != 0 || *offset_expr) return Error(expr->pos.start, "offset may not be set multiple times");
    if (IsDurationLiteral(*d)) {
      *offset = LiteralMs(d->value);
    } else {
      *offset_expr = std::move(d);
    }
    expr->pos.end = last_end_;
    return absl::OkStatus();
  }

  absl::StatusOr<ExprPtr> ParseUnary() {
    if (too_deep_pos_ >= 0) return TooDeep(too_deep_pos_, kMaxDepth);
    if (nesting_ >= kMaxNesting) return TooDeep(Peek().pos, kMaxNesting);
    ++nesting_;
    auto result = ParseUnaryNested();
    --nesting_;
    return result;
  }

  absl::StatusOr<ExprPtr> ParseUnaryNested() {
    const TokenType type = Peek().type;
    if (type != TokenType::kAdd && type != TokenType::kSub) return ParsePostfix();
    const Token op = Take();
    // Unary operators bind like `*`: only `^` (and postfix modifiers) bind
    // tighter, so -2^2 == -(2^2).
    STRATA_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(kPowPrecedence));
    if (auto* n = operand->As<NumberLiteral>()) {
      // Prometheus folds the sign into number literals.
      if (type == TokenType::kSub) n->value = -n->value;
      operand->pos.start = op.pos;
      return operand;
    }
    const int end = operand->pos.end;
    UnaryExpr u;
    u.op = type == TokenType::kSub ? UnaryOp::kMinus : UnaryOp::kPlus;
    u.expr = std::move(operand);
    return Make(std::move(u), op.pos, end);
  }

  absl::StatusOr<ExprPtr> ParsePostfix() {
    STRATA_ASSIGN_OR_RETURN(ExprPtr expr, ParsePrimary());
    while (true) {
      if (too_deep_pos_ >= 0) return TooDeep(too_deep_pos_, kMaxDepth);
      const Token& t = Peek();
      if (t.type == TokenType::kLeftBracket) {
        if (options_.duration_expressions) {
          STRATA_ASSIGN_OR_RETURN(expr, ParseRangeOrSubqueryExpr(std::move(expr)));
        } else {
          STRATA_ASSIGN_OR_RETURN(expr, ParseRangeOrSubquery(std::move(expr)));
        }
      } else if (t.type == TokenType::kOffset) {
        if (options_.duration_expressions) {
          STRATA_RETURN_IF_ERROR(ParseOffsetExpr(expr.get()));
        } else {
          STRATA_RETURN_IF_ERROR(ParseOffset(expr.get()));
        }
      } else if (t.type == TokenType::kAt) {
        STRATA_RETURN_IF_ERROR(ParseAt(expr.get()));
      } else if (options_.extended_range_selectors && t.type == TokenType::kIdentifier &&
                 (t.text == "anchored" || t.text == "smoothed")) {
        STRATA_RETURN_IF_ERROR(ParseExtendedModifier(expr.get()));
      } else {
        return expr;
      }
    }
  }

  absl::StatusOr<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kNumber: {
        const Token n = Take();
        STRATA_ASSIGN_OR_RETURN(double v, NumberValue(n));
        return Make(NumberLiteral{v}, n.pos, TokenEnd(n));
      }
      case TokenType::kDuration: {
        // Prometheus 3: a duration is a number of seconds.
        const Token d = Take();
        STRATA_ASSIGN_OR_RETURN(int64_t ms, DurationValue(d));
        return Make(NumberLiteral{static_cast<double>(ms) / 1000.0}, d.pos, TokenEnd(d));
      }
      case TokenType::kString: {
        Token s = Take();
        return Make(StringLiteral{std::move(s.value)}, s.pos, TokenEnd(s));
      }
      case TokenType::kLeftParen: {
        const Token open = Take();
        STRATA_ASSIGN_OR_RETURN(ExprPtr inner, ParseBinary(0));
        const Token close = Take();
        if (close.type != TokenType::kRightParen) return Unexpected(close, "");
        return Make(ParenExpr{std::move(inner)}, open.pos, TokenEnd(close));
      }
      case TokenType::kIdentifier: {
        const TokenType next = Peek(1).type;
        AggregateOp op;
        if (AggregatorOf(t.text, &op) &&
            (next == TokenType::kLeftParen || next == TokenType::kBy || next == TokenType::kWithout)) {
          return ParseAggregate(op);
        }
        if (next == TokenType::kLeftParen) return ParseCall();
        const Token name = Take();
        return ParseSelector(name.pos, std::string(name.text));
      }
      case TokenType::kStart:
      case TokenType::kEnd:
        // The lexer makes these keywords only before "(": here the
        // experimental start()/end() functions.
        return ParseCall();
      case TokenType::kMetricIdentifier:
      case TokenType::kLand:
      case TokenType::kLor:
      case TokenType::kLunless:
      case TokenType::kBy:
      case TokenType::kWithout:
      case TokenType::kOffset: {
        // Keywords that Prometheus also accepts as metric names.
        const Token name = Take();
        return ParseSelector(name.pos, std::string(name.text));
      }
      case TokenType::kLeftBrace: return ParseSelector(t.pos, "");
      default: return Unexpected(t, "");
    }
  }

  absl::StatusOr<double> NumberValue(const Token& n) const {
    auto v = ParseNumber(n.text);
    if (!v.ok()) {
      // Go's strconv.ParseFloat error, as Prometheus reports it.
      std::string digits(n.text);
      std::erase(digits, '_');
      const bool overflow = std::isinf(std::strtod(digits.c_str(), nullptr));
      return Error(n.pos, fmt::format("error parsing number: strconv.ParseFloat: parsing {}: {}", GoQuote(n.text),
                                      overflow ? "value out of range" : "invalid syntax"));
    }
    return *v;
  }

  absl::StatusOr<int64_t> DurationValue(const Token& d) const {
    auto ms = ParseDuration(d.text);
    if (!ms.ok()) return Error(d.pos, ToStd(ms.status().message()));
    return *ms;
  }

  // A number or duration literal where Prometheus expects a duration
  // (ranges, steps, offsets), in milliseconds; nullopt when `t` is neither.
  absl::StatusOr<std::optional<int64_t>> DurationLiteral(const Token& t) const {
    if (t.type == TokenType::kDuration) {
      STRATA_ASSIGN_OR_RETURN(int64_t ms, DurationValue(t));
      return std::optional<int64_t>(ms);
    }
    if (t.type == TokenType::kNumber) {
      STRATA_ASSIGN_OR_RETURN(double seconds, NumberValue(t));
      const double ms = seconds * 1000;
      if (std::isnan(ms) || ms >= 9.2e18 || ms <= -9.2e18) return Error(t.pos, "duration out of range");
      // time.Duration(v * 1000) * time.Millisecond truncates toward zero.
      return std::optional<int64_t>(static_cast<int64_t>(ms));
    }
    return std::optional<int64_t>();
  }

  // `( label, ... )` of by/without/on/ignoring/group_left/group_right.
  absl::StatusOr<std::vector<std::string>> ParseGroupingLabels() {
    std::vector<std::string> labels;
    const Token open = Take();
    if (open.type != TokenType::kLeftParen) return Unexpected(open, "grouping opts", "\"(\"");
    if (Peek().type == TokenType::kRightParen) {
      Take();
      return labels;
    }
    while (true) {
      const Token label = Take();
      // Keywords are valid label names here (`by (on, offset)`).
      const bool word = label.type == TokenType::kIdentifier || label.IsKeyword();
      if (word && IsLegacyLabelName(label.text)) {
        labels.emplace_back(label.text);
      } else if (label.type == TokenType::kString) {
        labels.push_back(label.value);
      } else {
        return Unexpected(label, "grouping opts", "label");
      }
      const Token sep = Take();
      if (sep.type == TokenType::kRightParen) return labels;
      if (sep.type != TokenType::kComma) return Unexpected(sep, "grouping opts", "\",\" or \")\"");
      if (Peek().type == TokenType::kRightParen) {
        Take();
        return labels;
      }
    }
  }

  // `( expr, ... )` of a call or an aggregation; the "(" is next.
  absl::StatusOr<std::vector<ExprPtr>> ParseCallBody(std::string_view context) {
    std::vector<ExprPtr> args;
    const Token open = Take();
    if (open.type != TokenType::kLeftParen) return Unexpected(open, context);
    if (Peek().type == TokenType::kRightParen) {
      Take();
      return args;
    }
    while (true) {
      STRATA_ASSIGN_OR_RETURN(ExprPtr arg, ParseBinary(0));
      args.push_back(std::move(arg));
      const Token sep = Take();
      if (sep.type == TokenType::kRightParen) return args;
      if (sep.type != TokenType::kComma) return Unexpected(sep, "");
      if (Peek().type == TokenType::kRightParen) {
        return Error(sep.pos, "trailing commas not allowed in function call args");
      }
    }
  }

  absl::StatusOr<ExprPtr> ParseCall() {
    const Token name = Take();
    STRATA_ASSIGN_OR_RETURN(std::vector<ExprPtr> args, ParseCallBody(""));
    const FunctionSignature* fn = FindFunction(name.text);
    if (fn == nullptr) return Error(name.pos, fmt::format("unknown function with name \"{}\"", name.text));
    if (fn->experimental && !options_.experimental_functions) {
      return Error(name.pos, fmt::format("function \"{}\" is not enabled", name.text));
    }
    Call call;
    call.func = fn;
    call.args = std::move(args);
    return Make(std::move(call), name.pos, last_end_);
  }

  absl::StatusOr<ExprPtr> ParseAggregate(AggregateOp op) {
    const Token name = Take();
    AggregateExpr agg;
    agg.op = op;
    auto clause = [&]() -> absl::Status {
      agg.without = Take().type == TokenType::kWithout;
      agg.has_grouping_clause = true;
      STRATA_ASSIGN_OR_RETURN(agg.grouping, ParseGroupingLabels());
      return absl::OkStatus();
    };
    if (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout) STRATA_RETURN_IF_ERROR(clause());
    STRATA_ASSIGN_OR_RETURN(std::vector<ExprPtr> args, ParseCallBody("aggregation"));
    if (!agg.has_grouping_clause && (Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout)) {
      STRATA_RETURN_IF_ERROR(clause());
    }
    const int start = name.pos;
    if (args.empty()) return Error(start, "no arguments for aggregate expression provided");
    size_t desired = 1;
    if (AggregateTakesParam(op)) {
      if ((op == AggregateOp::kLimitk || op == AggregateOp::kLimitRatio) && !options_.experimental_functions) {
        return Error(start, fmt::format("{}() is experimental and must be enabled with "
                                        "--enable-feature=promql-experimental-functions",
                                        AggregateOpName(op)));
      }
      desired = 2;
    }
    if (args.size() != desired) {
      return Error(start, fmt::format("wrong number of arguments for aggregate expression provided, expected {}, got {}",
                                      desired, args.size()));
    }
    if (desired == 2) agg.param = std::move(args[0]);
    agg.expr = std::move(args[desired - 1]);
    return Make(std::move(agg), start, last_end_);
  }

  // ---- Selectors and modifiers --------------------------------------------

  // Parses the optional `{...}` after a metric name (or the mandatory one
  // when `name` is empty). Validity (empty matchers, name twice) is Check()'s.
  absl::StatusOr<ExprPtr> ParseSelector(int start, std::string name) {
    VectorSelector vs;
    int end = start + static_cast<int>(name.size());
    if (!name.empty()) {
      auto m = Matcher::Create(MatchType::kEqual, std::string(kMetricNameLabel), name);
      vs.matchers.push_back(*std::move(m));
    }
    vs.name = std::move(name);
    if (Peek().type == TokenType::kLeftBrace) {
      Take();
      while (true) {
        const Token label = Take();
        if (label.type == TokenType::kRightBrace) {
          end = TokenEnd(label);
          break;
        }
        std::string label_name;
        if (label.type == TokenType::kIdentifier) {
          label_name = std::string(label.text);
        } else if (label.type == TokenType::kString) {
          label_name = label.value;
          const TokenType after = Peek().type;
          if (after == TokenType::kComma || after == TokenType::kRightBrace) {
            // `{"metric.name"}`: a lone quoted name is the metric name.
            auto m = Matcher::Create(MatchType::kEqual, std::string(kMetricNameLabel), label.value);
            if (!m.ok()) return Error(label.pos, ToStd(m.status().message()));
            vs.matchers.push_back(*std::move(m));
            STRATA_ASSIGN_OR_RETURN(bool closed, MatcherSeparator(&end));
            if (closed) break;
            continue;
          }
          if (!IsMatchOp(after)) {
            return Unexpected(Peek(), "label matching", "\",\" or \"}\"");
          }
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
        if (!matcher.ok()) return Error(label.pos, ToStd(matcher.status().message()));
        vs.matchers.push_back(*std::move(matcher));
        STRATA_ASSIGN_OR_RETURN(bool closed, MatcherSeparator(&end));
        if (closed) break;
      }
    }
    return Make(std::move(vs), start, end);
  }

  static bool IsMatchOp(TokenType t) {
    return t == TokenType::kAssign || t == TokenType::kNeq || t == TokenType::kEqlRegex || t == TokenType::kNeqRegex;
  }

  // After a matcher: "," (optionally followed by "}") or "}". True when the
  // braces are closed; `end` is then one past the "}".
  absl::StatusOr<bool> MatcherSeparator(int* end) {
    const Token sep = Take();
    if (sep.type == TokenType::kRightBrace) {
      *end = TokenEnd(sep);
      return true;
    }
    if (sep.type != TokenType::kComma) return Unexpected(sep, "label matching", "\",\" or \"}\"");
    if (Peek().type == TokenType::kRightBrace) {
      *end = TokenEnd(Take());
      return true;
    }
    return false;
  }

  absl::StatusOr<ExprPtr> ParseRangeOrSubquery(ExprPtr expr) {
    const Token open = Take();
    const Token range_token = Take();
    STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> range, DurationLiteral(range_token));
    if (!range) return Unexpected(range_token, "subquery selector", "number or duration");
    const Token next = Take();
    if (next.type == TokenType::kRightBracket) {
      STRATA_ASSIGN_OR_RETURN(MatrixSelector ms, RangeSelectorOf(*expr, open));
      ms.range_ms = *range;
      return Make(std::move(ms), expr->pos.start, TokenEnd(next));
    }
    if (next.type != TokenType::kColon) return Unexpected(next, "subquery or range", "\":\" or \"]\"");
    SubqueryExpr sq;
    sq.range_ms = *range;
    Token close = Take();
    if (close.type != TokenType::kRightBracket) {
      STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> step, DurationLiteral(close));
      if (!step) return Unexpected(close, "subquery selector", "number or duration or \"]\"");
      sq.step_ms = *step;
      close = Take();
      if (close.type != TokenType::kRightBracket) return Unexpected(close, "subquery selector", "\"]\"");
    }
    const int start = expr->pos.start;
    sq.expr = std::move(expr);
    return Make(std::move(sq), start, TokenEnd(close));
  }

  static const char* ModifierTarget(const Expr& e) {
    if (e.As<VectorSelector>() || e.As<MatrixSelector>() || e.As<SubqueryExpr>()) return nullptr;
    return "must be preceded by an instant vector selector or range vector selector or a subquery";
  }

  absl::Status ParseOffset(Expr* expr) {
    Take();
    bool negative = false;
    if (Peek().type == TokenType::kSub) {
      Take();
      negative = true;
    }
    const Token t = Take();
    STRATA_ASSIGN_OR_RETURN(std::optional<int64_t> d, DurationLiteral(t));
    if (!d) return Unexpected(t, "offset", "number or duration");
    if (const char* err = ModifierTarget(*expr)) {
      return Error(expr->pos.start, fmt::format("offset modifier {}", err));
    }
    int64_t* offset = nullptr;
    if (auto* vs = expr->As<VectorSelector>()) offset = &vs->offset_ms;
    if (auto* ms = expr->As<MatrixSelector>()) offset = &ms->selector.offset_ms;
    if (auto* sq = expr->As<SubqueryExpr>()) offset = &sq->offset_ms;
    if (*offset != 0) return Error(expr->pos.start, "offset may not be set multiple times");
    *offset = negative ? -*d : *d;
    expr->pos.end = last_end_;
    return absl::OkStatus();
  }

  // `anchored` / `smoothed` after a selector (ast.h VectorSelector).
  absl::Status ParseExtendedModifier(Expr* expr) {
    const Token t = Take();
    const bool anchored = t.text == "anchored";
    VectorSelector* vs = expr->As<VectorSelector>();
    if (auto* ms = expr->As<MatrixSelector>()) vs = &ms->selector;
    if (vs == nullptr) {
      return Error(expr->pos.start, fmt::format("{} modifier must be preceded by a vector or range selector",
                                                anchored ? "anchored" : "smoothed"));
    }
    if (anchored && expr->As<VectorSelector>() != nullptr) {
      return Error(expr->pos.start, "anchored modifier can only be used with range vectors");
    }
    if (vs->anchored || vs->smoothed) {
      return Error(expr->pos.start, "anchored or smoothed modifier may not be set multiple times");
    }
    (anchored ? vs->anchored : vs->smoothed) = true;
    expr->pos.end = last_end_;
    return absl::OkStatus();
  }

  absl::Status ParseAt(Expr* expr) {
    Take();
    const Token t = Take();
    AtModifier at = AtModifier::kTimestamp;
    double seconds = 0;
    if (t.type == TokenType::kStart || t.type == TokenType::kEnd) {
      const Token open = Take();
      if (open.type != TokenType::kLeftParen) return Unexpected(open, "@", "timestamp");
      const Token close = Take();
      if (close.type != TokenType::kRightParen) return Unexpected(close, "", "");
      at = t.type == TokenType::kStart ? AtModifier::kStart : AtModifier::kEnd;
    } else {
      bool negative = false;
      Token num = t;
      if (t.type == TokenType::kSub || t.type == TokenType::kAdd) {
        negative = t.type == TokenType::kSub;
        num = Take();
      }
      if (num.type == TokenType::kNumber) {
        STRATA_ASSIGN_OR_RETURN(seconds, NumberValue(num));
      } else if (num.type == TokenType::kDuration) {
        STRATA_ASSIGN_OR_RETURN(int64_t ms, DurationValue(num));
        seconds = static_cast<double>(ms) / 1000.0;
      } else {
        return Unexpected(num, "@", "timestamp");
      }
      if (negative) seconds = -seconds;
      if (std::isinf(seconds) || std::isnan(seconds) || seconds >= 9.223372036854775807e18 ||
          seconds <= -9.223372036854775807e18) {
        // Go's %f: "+Inf", "-Inf", "NaN" for the non-finite values.
        const std::string shown = std::isfinite(seconds) ? fmt::format("{:f}", seconds) : FormatNumber(seconds);
        return Error(expr->pos.start, fmt::format("timestamp out of bounds for @ modifier: {}", shown));
      }
    }
    if (const char* err = ModifierTarget(*expr)) return Error(expr->pos.start, fmt::format("@ modifier {}", err));
    AtModifier* slot = nullptr;
    int64_t* slot_ms = nullptr;
    if (auto* vs = expr->As<VectorSelector>()) slot = &vs->at, slot_ms = &vs->at_ms;
    if (auto* ms = expr->As<MatrixSelector>()) slot = &ms->selector.at, slot_ms = &ms->selector.at_ms;
    if (auto* sq = expr->As<SubqueryExpr>()) slot = &sq->at, slot_ms = &sq->at_ms;
    if (*slot != AtModifier::kNone) return Error(expr->pos.start, "@ <timestamp> may not be set multiple times");
    *slot = at;
    if (at == AtModifier::kTimestamp) {
      const double ms = std::round(seconds * 1000);
      *slot_ms = ms >= 9.2e18 ? std::numeric_limits<int64_t>::max()
                 : ms <= -9.2e18 ? std::numeric_limits<int64_t>::min()
                                 : static_cast<int64_t>(ms);
    }
    expr->pos.end = last_end_;
    return absl::OkStatus();
  }

  // ---- Type checks (Prometheus checkAST) ----------------------------------

  // The position Prometheus blames for operator errors: the operator itself,
  // found between the operands with surrounding whitespace skipped.
  int OperatorPos(const BinaryExpr& b) const {
    int p = b.lhs->pos.end;
    while (p < static_cast<int>(query_.size()) &&
           (query_[p] == ' ' || query_[p] == '\t' || query_[p] == '\n' || query_[p] == '\r')) {
      ++p;
    }
    return p;
  }

  absl::Status ExpectType(Expr& e, ValueType want, std::string_view context) {
    STRATA_ASSIGN_OR_RETURN(ValueType t, Check(e));
    if (t != want) {
      return Error(e.pos.start,
                   fmt::format("expected type {} in {}, got {}", DocumentedType(want), context, DocumentedType(t)));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<ValueType> Check(Expr& e) {
    if (auto* agg = e.As<AggregateExpr>()) {
      STRATA_RETURN_IF_ERROR(ExpectType(*agg->expr, ValueType::kVector, "aggregation expression"));
      if (agg->op == AggregateOp::kCountValues) {
        STRATA_RETURN_IF_ERROR(ExpectType(*agg->param, ValueType::kString, "aggregation parameter"));
      } else if (agg->param) {
        STRATA_RETURN_IF_ERROR(ExpectType(*agg->param, ValueType::kScalar, "aggregation parameter"));
      }
    } else if (auto* b = e.As<BinaryExpr>()) {
      STRATA_ASSIGN_OR_RETURN(ValueType lt, Check(*b->lhs));
      STRATA_ASSIGN_OR_RETURN(ValueType rt, Check(*b->rhs));
      if (b->return_bool && !IsComparisonOp(b->op)) {
        return Error(OperatorPos(*b), "bool modifier can only be used on comparison operators");
      }
      if (IsComparisonOp(b->op) && !b->return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
        return Error(OperatorPos(*b), "comparisons between scalars must use BOOL modifier");
      }
      VectorMatching& vm = *b->matching;
      if (IsSetOp(b->op) && vm.card == MatchCardinality::kOneToOne) vm.card = MatchCardinality::kManyToMany;
      if (vm.on) {
        for (const std::string& l1 : vm.matching_labels) {
          for (const std::string& l2 : vm.include) {
            if (l1 == l2) {
              return Error(OperatorPos(*b),
                           fmt::format("label {} must not occur in ON and GROUP clause at once", GoQuote(l1)));
            }
          }
        }
      }
      if (lt != ValueType::kScalar && lt != ValueType::kVector) {
        return Error(b->lhs->pos.start, "binary expression must contain only scalar and instant vector types");
      }
      if (rt != ValueType::kScalar && rt != ValueType::kVector) {
        return Error(b->rhs->pos.start, "binary expression must contain only scalar and instant vector types");
      }
      const bool fill = vm.fill_lhs.has_value() || vm.fill_rhs.has_value();
      if (lt != ValueType::kVector || rt != ValueType::kVector) {
        if (!vm.matching_labels.empty()) {
          return Error(e.pos.start, "vector matching only allowed between instant vectors");
        }
        if (fill) return Error(e.pos.start, "filling in missing series only allowed between instant vectors");
        b->matching.reset();
      } else if (IsSetOp(b->op)) {
        if (vm.card == MatchCardinality::kOneToMany || vm.card == MatchCardinality::kManyToOne) {
          return Error(e.pos.start, fmt::format("no grouping allowed for \"{}\" operation", BinaryOpName(b->op)));
        }
        if (fill) return Error(e.pos.start, "filling in missing series not allowed for set operators");
      }
      if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && IsSetOp(b->op)) {
        return Error(e.pos.start,
                     fmt::format("set operator \"{}\" not allowed in binary scalar expression", BinaryOpName(b->op)));
      }
    } else if (auto* call = e.As<Call>()) {
      const FunctionSignature& fn = *call->func;
      const int nargs = static_cast<int>(fn.arg_types.size());
      const int got = static_cast<int>(call->args.size());
      if (fn.variadic == 0) {
        if (nargs != got) {
          return Error(e.pos.start,
                       fmt::format("expected {} argument(s) in call to \"{}\", got {}", nargs, fn.name, got));
        }
      } else {
        const int na = nargs - 1;
        if (na > got) {
          return Error(e.pos.start,
                       fmt::format("expected at least {} argument(s) in call to \"{}\", got {}", na, fn.name, got));
        }
        if (fn.variadic > 0 && na + fn.variadic < got) {
          return Error(e.pos.start, fmt::format("expected at most {} argument(s) in call to \"{}\", got {}",
                                                na + fn.variadic, fn.name, got));
        }
      }
      if (fn.name == "info" && got > 1) {
        // The second argument of info() is a bare label selector, which may
        // match the empty string.
        Expr& data = *call->args[1];
        if (data.Type() != ValueType::kVector) {
          return Error(e.pos.start, fmt::format("expected type instant vector in call to function \"info\", got {}",
                                                DocumentedType(data.Type())));
        }
        const auto* vs = data.As<VectorSelector>();
        if (vs == nullptr) return Error(data.pos.start, "expected label selectors only");
        if (!vs->name.empty()) {
          return Error(data.pos.start, "expected label selectors only, got vector selector instead");
        }
        bypass_empty_matcher_check_ = vs;
      }
      for (int i = 0; i < got; ++i) {
        int k = i;
        if (k >= nargs) {
          if (fn.variadic == 0) break;
          k = nargs - 1;
        }
        STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*call->args[i]));
        if (t != fn.arg_types[k]) {
          return Error(call->args[i]->pos.start,
                       fmt::format("expected type {} in call to function \"{}\", got {}", DocumentedType(fn.arg_types[k]),
                                   fn.name, DocumentedType(t)));
        }
      }
    } else if (auto* p = e.As<ParenExpr>()) {
      STRATA_RETURN_IF_ERROR(Check(*p->expr).status());
    } else if (auto* u = e.As<UnaryExpr>()) {
      STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*u->expr));
      if (t != ValueType::kScalar && t != ValueType::kVector) {
        return Error(e.pos.start, fmt::format("unary expression only allowed on expressions of type scalar or instant "
                                              "vector, got \"{}\"",
                                              DocumentedType(t)));
      }
    } else if (auto* sq = e.As<SubqueryExpr>()) {
      STRATA_ASSIGN_OR_RETURN(ValueType t, Check(*sq->expr));
      if (t != ValueType::kVector) {
        return Error(e.pos.start,
                     fmt::format("subquery is only allowed on instant vector, got {} instead", ValueTypeName(t)));
      }
    } else if (auto* ms = e.As<MatrixSelector>()) {
      STRATA_RETURN_IF_ERROR(CheckSelector(ms->selector, e.pos.start));
    } else if (auto* vs = e.As<VectorSelector>()) {
      STRATA_RETURN_IF_ERROR(CheckSelector(*vs, e.pos.start));
    }
    return e.Type();
  }

  absl::Status CheckSelector(const VectorSelector& vs, int pos) const {
    if (!vs.name.empty()) {
      // The first matcher is the name written outside the braces.
      for (size_t i = 1; i < vs.matchers.size(); ++i) {
        if (vs.matchers[i].name() == kMetricNameLabel) {
          return Error(pos, fmt::format("metric name must not be set twice: {} or {}", GoQuote(vs.name),
                                        GoQuote(vs.matchers[i].value())));
        }
      }
      return absl::OkStatus();
    }
    if (&vs == bypass_empty_matcher_check_) return absl::OkStatus();
    for (const Matcher& m : vs.matchers) {
      if (!m.MatchesEmpty()) return absl::OkStatus();
    }
    return Error(pos, "vector selector must contain at least one non-empty matcher");
  }

  std::string_view query_;
  ParseOptions options_;
  Lexer lexer_;
  std::deque<Token> buffer_;
  int last_end_ = 0;
  int nesting_ = 0;
  std::unordered_map<const Expr*, int> height_;
  int too_deep_pos_ = -1;
  // The label selector of an info() call, exempt from the non-empty check.
  const VectorSelector* bypass_empty_matcher_check_ = nullptr;
  // What "unexpected ..." errors inside a duration expression name.
  const char* duration_context_ = "";
  const char* duration_expected_ = "";
};

}  // namespace

absl::StatusOr<double> EvalDurationExpr(const DurationExpr& d, int64_t step_ms, int64_t range_ms) {
  double lhs = 0;
  double rhs = 0;
  if (d.lhs) {
    STRATA_ASSIGN_OR_RETURN(lhs, EvalDurationExpr(*d.lhs, step_ms, range_ms));
  }
  if (d.rhs) {
    STRATA_ASSIGN_OR_RETURN(rhs, EvalDurationExpr(*d.rhs, step_ms, range_ms));
  }
  switch (d.op) {
    case DurationOp::kLiteral: return d.value;
    case DurationOp::kStep: return static_cast<double>(step_ms) / 1000.0;
    case DurationOp::kRange: return static_cast<double>(range_ms) / 1000.0;
    case DurationOp::kMinOf: return std::fmin(lhs, rhs);
    case DurationOp::kMaxOf: return std::fmax(lhs, rhs);
    case DurationOp::kPos: return rhs;
    case DurationOp::kNeg: return -rhs;
    case DurationOp::kAdd: return lhs + rhs;
    case DurationOp::kSub: return lhs - rhs;
    case DurationOp::kMul: return lhs * rhs;
    case DurationOp::kDiv:
      if (rhs == 0) return absl::InvalidArgumentError(fmt::format("{}:{}: division by zero", d.pos.start, d.pos.end));
      return lhs / rhs;
    case DurationOp::kMod:
      if (rhs == 0) return absl::InvalidArgumentError(fmt::format("{}:{}: modulo by zero", d.pos.start, d.pos.end));
      return std::fmod(lhs, rhs);
    case DurationOp::kPow: return std::pow(lhs, rhs);
  }
  return absl::InternalError("unknown duration expression operator");
}

namespace {

// Prometheus calculateDuration: the value in milliseconds (seconds rounded
// to nanoseconds first, so `step() + 1ms` is exact).
absl::Status ResolveOne(const DurationExprPtr& d, bool allow_negative, int64_t step_ms, int64_t range_ms,
                        int64_t* out) {
  if (!d) return absl::OkStatus();
  STRATA_ASSIGN_OR_RETURN(double seconds, EvalDurationExpr(*d, step_ms, range_ms));
  if (seconds <= 0 && !allow_negative) {
    return absl::InvalidArgumentError(
        fmt::format("{}:{}: duration must be greater than 0", d->pos.start, d->pos.end));
  }
  const double ns = std::round(seconds * 1e9);
  if (!(ns < 9.2e18 && ns > -9.2e18)) {
    return absl::InvalidArgumentError(fmt::format("{}:{}: duration is out of range", d->pos.start, d->pos.end));
  }
  *out = static_cast<int64_t>(ns) / 1'000'000;
  return absl::OkStatus();
}

}  // namespace

absl::Status ResolveDurationExprs(Expr& expr, int64_t step_ms, int64_t range_ms) {
  if (auto* vs = expr.As<VectorSelector>()) {
    return ResolveOne(vs->offset_expr, true, step_ms, range_ms, &vs->offset_ms);
  }
  if (auto* ms = expr.As<MatrixSelector>()) {
    STRATA_RETURN_IF_ERROR(ResolveOne(ms->selector.offset_expr, true, step_ms, range_ms, &ms->selector.offset_ms));
    return ResolveOne(ms->range_expr, false, step_ms, range_ms, &ms->range_ms);
  }
  if (auto* sq = expr.As<SubqueryExpr>()) {
    STRATA_RETURN_IF_ERROR(ResolveOne(sq->offset_expr, true, step_ms, range_ms, &sq->offset_ms));
    STRATA_RETURN_IF_ERROR(ResolveOne(sq->step_expr, false, step_ms, range_ms, &sq->step_ms));
    STRATA_RETURN_IF_ERROR(ResolveOne(sq->range_expr, false, step_ms, range_ms, &sq->range_ms));
  }
  std::vector<Expr*> children;
  if (auto* sq = expr.As<SubqueryExpr>()) children.push_back(sq->expr.get());
  if (auto* p = expr.As<ParenExpr>()) children.push_back(p->expr.get());
  if (auto* u = expr.As<UnaryExpr>()) children.push_back(u->expr.get());
  if (auto* b = expr.As<BinaryExpr>()) children = {b->lhs.get(), b->rhs.get()};
  if (auto* a = expr.As<AggregateExpr>()) children = {a->expr.get(), a->param.get()};
  if (auto* c = expr.As<Call>()) {
    for (ExprPtr& arg : c->args) children.push_back(arg.get());
  }
  for (Expr* child : children) {
    if (child != nullptr) STRATA_RETURN_IF_ERROR(ResolveDurationExprs(*child, step_ms, range_ms));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExprPtr> ParseExpr(std::string_view query) { return ParseExpr(query, ParseOptions{}); }

absl::StatusOr<ExprPtr> ParseExpr(std::string_view query, const ParseOptions& options) {
  return Parser(query, options).Parse();
}

}  // namespace strata::promql
